"""Benchmarks that print tables and ratios, outside the product and the test suite.

Run each from the repository root as a module: `python -m bench.corpus`, `bench.engines`,
`bench.http_load`, `bench.http_hosts`, `bench.relevance`, `bench.faults`, ... (`make bench`
runs the speed and relevance set)."""

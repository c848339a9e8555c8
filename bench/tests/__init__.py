"""The benchmarks' own tests (their metrics, sampling and form reading), beside them: the
portal's suite in tests/ never imports bench and runs the scripts as `python -m bench.x`."""

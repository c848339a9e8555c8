"""Periodic jobs: the router sweep, the index drain, the mail outbox, the insight rollups and
the retention purge.

`schedule.py` lists them and runs the due ones, each under a database lease (`lease.py`) so
only one process runs a given job at a time; `runner.py` repeats that in a thread of each
web worker or in a process of its own (`flask jobs run`, `cli.py`)."""

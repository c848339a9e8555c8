"""python -m bench.faults --short: the portal under gunicorn loses a worker and is restarted
mid-load, and every acknowledged write is still in the database and the index once."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests import ROOT

GUNICORN = Path(sys.executable).parent / "gunicorn"
# A --short run took 245-316 s here while the 2 shared cores ran at load average 14-15
# (other jobs); 240 s was too tight for that.
TIMEOUT_S = 420


def _figure(output: str, name: str) -> int:
    match = re.search(rf"^\| {re.escape(name)} \| (\d+)", output, re.MULTILINE)
    assert match, f"no '{name}' row in:\n{output}"
    return int(match.group(1))


@pytest.mark.skipif(not GUNICORN.exists(), reason="gunicorn is not installed in the venv")
@pytest.mark.skipif(
    bool(os.environ.get("PORTAL_TEST_DATABASE_URL")),
    reason="runs its own SQLite server set-up: covered by the SQLite pass",
)
def test_short_fault_run_loses_and_duplicates_no_acknowledged_write():
    """Exit 0, and the table shows as many writes found as acknowledged, none twice."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.faults", "--short"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        output, errors = process.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.terminate()  # faults.py then stops its gunicorn (own session) itself
        output, errors = process.communicate(timeout=60)
        pytest.fail(f"bench.faults --short took over {TIMEOUT_S} s:\n{output}")
    assert process.returncode == 0, output + errors[-3000:]
    acknowledged = _figure(output, "writes acknowledged")
    assert acknowledged > 0
    assert _figure(output, "writes found in DB") == acknowledged
    assert _figure(output, "duplicates") == 0
    assert "SIGKILL worker" in output and "restart (SIGTERM" in output
    assert "| result | PASS |" in output

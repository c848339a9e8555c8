"""Running Python code in a fresh interpreter, as another process of the portal would."""

import os
import subprocess
import sys

from tests import ROOT


def environment_without(prefix: str) -> dict[str, str]:
    """This process's environment less the variables whose names start with ``prefix``."""
    return {name: value for name, value in os.environ.items() if not name.startswith(prefix)}


def run_python(
    code: str,
    *args: str,
    drop_env_prefix: str | None = None,
    timeout: float = 120,
    check: bool = True,
) -> subprocess.CompletedProcess:
    """``code`` run with ``python -c`` and ``args`` from the repository root, output captured
    as text. Variables whose names start with ``drop_env_prefix`` are left out of its
    environment (so that, say, a PORTAL_* setting of the test run does not apply). With
    ``check`` a non-zero exit fails the test, showing the process's stderr."""
    env = None if drop_env_prefix is None else environment_without(drop_env_prefix)
    completed = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check:
        assert completed.returncode == 0, completed.stderr
    return completed

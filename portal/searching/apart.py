"""Lookups of a large corpus built in a process of their own.

The did-you-mean and autocomplete tables are built from every title: seconds of CPU and,
at 100k documents, 60 and 110 MiB of passing objects which a worker keeps as fragmented
heap after the build, and during it the worker's other thread waits for the interpreter
lock. From LOOKUPS_APART_FROM indexed documents a fresh interpreter builds the table on
the same database and sends it back pickled: the worker keeps only the result, and its
waiting thread holds no lock. The child reads the same environment as the worker; the
data directory and database URL are passed from the app (its config may override them).
"""

import importlib
import logging
import os
import pickle
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from flask import current_app

import portal
from portal.extensions import db
from portal.indexing.backend import get_backend

logger = logging.getLogger(__name__)

T = TypeVar("T")
TIMEOUT_SECONDS = 600
_CHILD = "import sys; from portal.searching.apart import main; main(sys.argv[1])"


def builds_apart() -> bool:
    """Whether build() starts a child: the index holds LOOKUPS_APART_FROM documents or more."""
    app = current_app._get_current_object()
    try:
        documents = get_backend(app).document_count()
    except Exception:  # an index that cannot say is no reason to fail the lookup
        logger.exception("counting the indexed documents failed")
        documents = 0
    return documents >= app.config["LOOKUPS_APART_FROM"]


def build(target: Callable[[], T]) -> T:
    """``target()`` (a module-level function of no arguments), in a child process when the
    index holds LOOKUPS_APART_FROM documents or more, else here; here as well, logged, if
    the child fails."""
    app = current_app._get_current_object()
    if not builds_apart():
        return target()
    name = f"{target.__module__}:{target.__qualname__}"
    env = {
        **os.environ,
        "PORTAL_DATA_DIR": str(app.config["DATA_DIR"]),
        "PORTAL_DATABASE_URL": db.engine.url.render_as_string(hide_password=False),
        "PORTAL_JOBS_IN_WORKER": "0",
        # The same code as this process's, wherever the portal is installed or checked out.
        "PYTHONPATH": os.pathsep.join(
            filter(None, (str(Path(portal.__file__).parent.parent), os.environ.get("PYTHONPATH")))
        ),
    }
    try:
        completed = subprocess.run(  # noqa: S603 (this interpreter, a fixed script)
            [sys.executable, "-c", _CHILD, name],
            env=env,
            capture_output=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
        if completed.returncode == 0:
            return pickle.loads(completed.stdout)  # noqa: S301 (our own child's output)
        logger.error("building %s apart failed:\n%s", name, completed.stderr.decode()[-4000:])
    except (OSError, subprocess.SubprocessError, pickle.UnpicklingError):
        logger.exception("building %s apart failed", name)
    return target()


def main(name: str) -> None:
    """The child: build ``name`` ("module:function") and write it pickled to stdout."""
    from portal import create_app

    module, _, function = name.partition(":")
    target = getattr(importlib.import_module(module), function)
    app = create_app()
    with app.app_context():
        value = target()
    sys.stdout.buffer.write(pickle.dumps(value, pickle.HIGHEST_PROTOCOL))

"""An inter-process lock on a file (flock), waited for up to a timeout.

The kernel releases it when its holder dies, even by SIGKILL, so a crashed writer never
blocks the next one."""

from __future__ import annotations

import fcntl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["file_lock"]


@contextmanager
def file_lock(path: str | Path, timeout: float, busy: str) -> Iterator[None]:
    """Hold an exclusive lock on ``path``; TimeoutError(``busy``) after ``timeout`` s."""
    with Path(path).open("a+") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(busy) from None
                time.sleep(0.02)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)

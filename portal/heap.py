"""Give the C heap's free pages back to the system after a large one-off load.

Loading pypinyin's phrases or unpickling a lookup frees many small objects afterwards;
glibc keeps the freed pages in the worker (about 6-8 MiB of its resident memory at 100k
documents) unless asked with malloc_trim. Does nothing on a C library without it."""

import ctypes
import ctypes.util
import logging

logger = logging.getLogger(__name__)


def _malloc_trim():
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None


_TRIM = _malloc_trim()


def release_free_heap() -> None:
    """Return the heap's free pages to the system (glibc malloc_trim)."""
    if _TRIM is not None:
        _TRIM(0)

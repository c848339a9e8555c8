"""Which characters are Han (Chinese) characters: the one definition for search/ and for the
portal, which imports it (search/ has no Flask import, so the portal can)."""

from __future__ import annotations

import re

__all__ = ["HAN_BLOCKS", "HAN_CHAR", "HAN_RUN", "is_han"]

# CJK unified ideographs with extension A, and the compatibility ideographs (first, last).
HAN_BLOCKS = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))
_CLASS = "[" + "".join(f"{chr(first)}-{chr(last)}" for first, last in HAN_BLOCKS) + "]"
HAN_CHAR = re.compile(_CLASS)
HAN_RUN = re.compile(_CLASS + "+")


def is_han(text: str) -> bool:
    """Whether ``text`` is one Han character."""
    return len(text) == 1 and any(first <= ord(text) <= last for first, last in HAN_BLOCKS)

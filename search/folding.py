"""Folding: width, case and traditional-to-simplified script, one character for one, so
offsets in the folded text are offsets in the original (search/analyzer.py folds before it
segments; highlighting maps folded matches back onto the text shown)."""

from __future__ import annotations

import threading
from pathlib import Path

__all__ = ["fold", "fold_prefix"]

# Simplified-script variants unified after the T->S table. TSCharacters maps 帳 to 帐, but
# mainland text writes account as 账 (账号, 账户) while Taiwan writes 帳號; without this a
# simplified query never meets a traditional document. 帐篷 (tent) becomes 账篷 on both
# sides, which costs nothing because index and query are folded the same way.
_VARIANT_OVERRIDES = {"帳": "账", "帐": "账"}

_lock = threading.Lock()
_fold_table: dict[int, str] | None = None
_fold_units = None  # the table as a numpy array indexed by UTF-16 code unit
# Below this many characters str.translate is as quick as numpy's set-up.
_ARRAY_FROM = 200


def _build_fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    # Full-width ASCII variants U+FF01..U+FF5E map to U+0021..U+007E; U+3000 is a space.
    for code in range(0xFF01, 0xFF5F):
        table[code] = chr(code - 0xFEE0)
    table[0x3000] = " "
    # Lone surrogates cannot cross into the Rust segmenter; a space keeps the length.
    for code in range(0xD800, 0xE000):
        table[code] = " "
    import opencc  # only for locating its data file; its converter is not used

    path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            source, _, targets = line.rstrip("\n").partition("\t")
            candidates = targets.split()
            # Only 1:1 character entries keep fold() length-preserving.
            if (
                len(source) == 1
                and candidates
                and len(candidates[0]) == 1
                and candidates[0] != source
            ):
                table[ord(source)] = candidates[0]
    for source, target in _VARIANT_OVERRIDES.items():
        table[ord(source)] = target
    return table


def _table() -> dict[int, str]:
    global _fold_table
    if _fold_table is None:
        with _lock:
            if _fold_table is None:
                _fold_table = _build_fold_table()
    return _fold_table


def fold(text: str) -> str:
    """Normalise width, case and traditional->simplified script without changing the length.

    Every output character corresponds to the input character at the same index, so
    offsets computed on the folded text are valid for the original text.
    """
    if not text:
        return ""
    folded = _translate(text) if len(text) >= _ARRAY_FROM else text.translate(_table())
    lowered = folded.lower()
    if len(lowered) == len(folded):
        # No character expanded (each maps to >= 1 char), so the mapping is 1:1.
        return lowered
    # Rare: something like U+0130 lower-cases to two characters; keep those unchanged.
    return "".join(low if len(low := ch.lower()) == 1 else ch for ch in folded)


def fold_prefix(text: str, folded: str, length: int) -> str:
    """``fold(text[:length])``, given ``folded = fold(text)``: its first ``length``
    characters, unless the prefix holds a capital sigma, whose lower case depends on the
    text after it (the only character whose fold looks beyond itself)."""
    if len(text) <= length:
        return folded
    return fold(text[:length]) if "\u03a3" in text[:length] else folded[:length]


def _translate(text: str) -> str:
    # text.translate(_table()) for long texts, one table look-up per UTF-16 code unit in
    # numpy instead of one dict look-up per character (documents are folded in bulk).
    import numpy as np  # only for bulk folding: most processes never load it

    data = text.encode("utf-16-le", "surrogatepass")
    if len(data) != 2 * len(text):  # characters beyond the BMP: two units each
        return text.translate(_table())
    try:
        return _units()[np.frombuffer(data, np.uint16)].tobytes().decode("utf-16-le")
    except UnicodeDecodeError:  # a character whose fold lies beyond the BMP (_units)
        return text.translate(_table())


def _units():
    global _fold_units
    if _fold_units is None:
        import numpy as np

        units = np.arange(0x10000, dtype=np.uint16)
        for code, target in _table().items():
            if code < 0x10000:
                # A target beyond the BMP becomes a lone low surrogate, which the strict
                # decode refuses, so a text with such a character falls back to translate().
                units[code] = ord(target) if ord(target) < 0x10000 else 0xDC00
        _fold_units = units  # threads racing here build the same array
    return _fold_units

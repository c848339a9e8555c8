"""Whoosh tokenizer wrapping search.analyzer, and the field type of the character fields.

Whoosh pickles the schema into the index, so these classes are imported by dotted path
whenever an index is opened: keep their names and module. Indexes written before the
engine moved here name search.whoosh_analysis, a shim that re-exports them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from whoosh.analysis import Token, Tokenizer
from whoosh.fields import KEYWORD
from whoosh.system import pack_uint

from search.analyzer import analyze, fold

__all__ = ["GramField", "PortalTokenizer", "portal_analyzer"]


class PortalTokenizer(Tokenizer):
    """Whoosh tokenizer producing exactly the tokens of :func:`search.analyzer.analyze`.

    ``mode`` is the default analysis mode; the ``mode`` whoosh passes per call wins
    ("query" when parsing queries, "index" when indexing or re-tokenizing for highlights).
    Whoosh pickles this object into the index's schema, so keep its state to plain data.
    """

    def __init__(self, mode: str = "index") -> None:
        self.mode = mode

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.mode == self.mode  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.mode))

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        """Yield one reused whoosh Token per analysed token (whoosh's convention)."""
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            # Whoosh asks for the raw value (e.g. wildcard/prefix terms): fold only.
            token.text = fold(value)
            token.boost = 1.0
            if keeporiginal:
                token.original = value
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar = start_char
                token.endchar = start_char + len(value)
            yield token
            return
        analysis_mode = "query" if mode == "query" else (mode if mode == "index" else self.mode)
        for item in analyze(value, analysis_mode):
            token.text = item.text
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = value[item.start : item.end]
            if positions:
                token.pos = start_pos + item.position
            if chars:
                token.startchar = start_char + item.start
                token.endchar = start_char + item.end
            yield token


def portal_analyzer() -> PortalTokenizer:
    """Return the analyzer used by every full-text field of the portal schema."""
    return PortalTokenizer(mode="index")


class GramField(KEYWORD):
    """A scorable field of space-joined tokens (the Han characters and bigrams of
    search/ngrams.py): frequencies and field lengths for BM25, no positions.

    Indexes what KEYWORD(scorable=True) would, but counts a document's tokens with one
    Counter instead of whoosh's token-at-a-time tokenizer, which made these two fields
    the costliest part of adding a document.
    """

    def __init__(self) -> None:
        super().__init__(scorable=True)

    def index(self, value: Any, **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        """(token bytes, frequency, weight, encoded frequency) per distinct token."""
        if not isinstance(value, str):
            raise ValueError(f"{value!r} is not a string of space-separated tokens")
        boost = self.format.field_boost
        for token, count in Counter(value.split()).items():
            yield token.encode("utf-8"), count, count * boost, pack_uint(count)

"""Turn raw user search text into a backend-neutral query plan; never raises."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import NamedTuple

from search.analyzer import tokenize
from search.synonyms import expansions

__all__ = ["MAX_QUERY_CHARS", "Clause", "ParsedQuery", "parse_user_query"]

# Longer input is cut before analysis: support questions are short, and this bounds the
# work (segmentation, number of query clauses) a single request can cause.
MAX_QUERY_CHARS = 200
MAX_SHOULD_TERMS = 32
MAX_CLAUSES = 16

# Straight, full-width, curly and CJK corner quotes all delimit phrases.
_QUOTES = frozenset('"＂“”„‟「」『』')
_PLUS = frozenset("+＋")
_MINUS = frozenset("-－")
_OPERATORS = frozenset({"AND", "OR", "NOT"})

Clause = tuple[str, ...]
"""Analysed tokens that must occur together: one token is a term, several are a phrase."""


@dataclass
class ParsedQuery:
    """A flat query plan over analysed tokens.

    ``should`` terms are OR-ed (more matches rank higher); every clause in ``must`` and
    ``phrases`` is required; no hit may contain any ``must_not`` clause.
    """

    text: str = ""
    should: list[str] = field(default_factory=list)
    must: list[Clause] = field(default_factory=list)
    must_not: list[Clause] = field(default_factory=list)
    phrases: list[Clause] = field(default_factory=list)
    # Synonyms of single-token terms (token -> other members of its synonym group). A backend
    # matches a term OR any of its alternatives, scoring alternatives at SYNONYM_WEIGHT.
    alternatives: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # The user's text of every positive item (not the excluded ones), for the character
    # fields (search/ngrams.py), which match characters rather than analysed tokens; also
    # the items that are stop words only.
    positive_texts: list[str] = field(default_factory=list)

    @property
    def tokens(self) -> list[str]:
        """Unique positive tokens (for highlighting and analytics), in query order."""
        seen: dict[str, None] = {}
        for clause in [*self.phrases, *self.must]:
            for token in clause:
                seen.setdefault(token, None)
        for token in self.should:
            seen.setdefault(token, None)
        return list(seen)

    @property
    def is_empty(self) -> bool:
        """True when nothing positive is left to search for (e.g. only stop words)."""
        return not (self.should or self.must or self.phrases)


class _Item(NamedTuple):
    kind: str  # "word" | "phrase" | "op"
    text: str
    prefix: str  # "", "+" or "-"


def _clean(text: object) -> str:
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    text = text[: MAX_QUERY_CHARS * 2]  # cheap pre-cut before the per-char scan
    # Control characters (NUL etc.) become spaces so they can never glue or split oddly.
    cleaned = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cs") else ch for ch in text
    ).strip()
    return cleaned[:MAX_QUERY_CHARS]


def _words(chunk: str, items: list[_Item]) -> None:
    for word in chunk.split():
        if word in _OPERATORS:
            items.append(_Item("op", word, ""))
        elif len(word) > 1 and word[0] in _PLUS:
            items.append(_Item("word", word[1:], "+"))
        elif len(word) > 1 and word[0] in _MINUS:
            items.append(_Item("word", word[1:], "-"))
        else:
            items.append(_Item("word", word, ""))


def _lex(text: str) -> list[_Item]:
    items: list[_Item] = []
    start = i = 0
    while i < len(text):
        if text[i] not in _QUOTES:
            i += 1
            continue
        close = next((j for j in range(i + 1, len(text)) if text[j] in _QUOTES), -1)
        if close < 0:
            # An unbalanced quote is just punctuation; the rest stays ordinary words.
            break
        before = text[start:i]
        prefix = ""
        # A +/- glued to the opening quote applies to the phrase: -"退货 政策".
        if (
            before
            and (before[-1] in _PLUS or before[-1] in _MINUS)
            and (len(before) == 1 or before[-2].isspace())
        ):
            prefix = "+" if before[-1] in _PLUS else "-"
            before = before[:-1]
        _words(before, items)
        items.append(_Item("phrase", text[i + 1 : close], prefix))
        start = i = close + 1
    _words(text[start:], items)
    return items


def _apply_operators(items: list[_Item]) -> list[_Item]:
    # Flat boolean semantics: NOT x == -x; a AND b == +a +b; OR is the default anyway.
    # Dangling operators (leading AND, trailing NOT, "AND" alone) are ignored.
    operands: list[_Item] = []
    pending_not = pending_and = False
    for item in items:
        if item.kind == "op":
            if item.text == "NOT":
                pending_not = True
            elif item.text == "AND":
                if operands and operands[-1].prefix == "":
                    operands[-1] = operands[-1]._replace(prefix="+")
                pending_and = True
            else:
                pending_and = False
            continue
        if pending_not:
            item = item._replace(prefix="-")
        elif pending_and and item.prefix == "":
            item = item._replace(prefix="+")
        pending_not = pending_and = False
        operands.append(item)
    return operands


def _add_unique(target: list, value: object, limit: int) -> None:
    if value not in target and len(target) < limit:
        target.append(value)


def parse_user_query(text: str) -> ParsedQuery:
    """Parse search-box text into a :class:`ParsedQuery`; any string is accepted.

    Double quotes (also “…” and 「…」) make phrases; upper-case AND / OR / NOT between
    words and a leading ``+word`` / ``-word`` are operators. Everything else, including
    ``title:x``, brackets, wildcards and backslashes, is literal text for the analyzer.
    """
    try:
        return _parse(_clean(text))
    except Exception:  # last line of defence: a bad query must never become a 500
        return ParsedQuery(text="")


def _parse(text: str) -> ParsedQuery:
    parsed = ParsedQuery(text=text)
    for item in _apply_operators(_lex(text)):
        tokens: Clause = tuple(tokenize(item.text, "query"))
        if item.prefix != "-":
            # Kept even without tokens: 我是谁呀 is all stop words, not all noise.
            parsed.positive_texts.append(item.text)
        if not tokens:
            continue
        if item.prefix == "-":
            # Several tokens are excluded only together, so -退货政策 does not also
            # throw away every document that merely mentions 政策.
            _add_unique(parsed.must_not, tokens, MAX_CLAUSES)
        elif item.kind == "phrase":
            target = parsed.phrases if len(tokens) > 1 else parsed.must
            _add_unique(target, tokens, MAX_CLAUSES)
        elif item.prefix == "+":
            for token in tokens:
                _add_unique(parsed.must, (token,), MAX_CLAUSES)
        else:
            for token in tokens:
                _add_unique(parsed.should, token, MAX_SHOULD_TERMS)
    required = {clause[0] for clause in parsed.must}
    parsed.should = [token for token in parsed.should if token not in required]
    for token in [*parsed.should, *(clause[0] for clause in parsed.must if len(clause) == 1)]:
        if alternatives := expansions(token):
            parsed.alternatives[token] = alternatives
    return parsed

"""PostgreSQL text-search values built from the portal analyzer's own tokens, and the SQL
of one search (the query model of search/ranking.py).

Documents become tsvector literals and queries tsquery literals, both passed as bound
parameters and cast server-side. Never to_tsvector/plainto_tsquery, not even with the
'simple' configuration: its parser would re-split our tokens (c++ -> c, a.b_c -> ...) and
drop characters, so index and query would no longer speak the analyzer's language.

Inside a quoted lexeme only the quote and the backslash are special (the backslash escapes
the next character, a doubled quote is one quote), so :, &, |, !, * and spaces are plain
characters there; tests/search/test_postgres_backend.py round-trips hostile tokens to prove it.

Layout of a tsvector (one column, because the RUM index orders by one column's distance):
each field's whole words at consecutive positions (weight A for the title, B for tags, C
for the body), then that field's dictionary sub-words (退货政策 -> 退货, 政策) in their own
position range, marked with SUB_MARK so a phrase, which matches unmarked lexemes at
adjacent positions, never uses them; then the Han characters and the Han bigrams of title,
tags and body (search/ngrams.py) with weight D, each behind GRAM_MARK so a query character
never meets a word; last the title's words and sub-words once more behind TITLE_MARK, which
no score reads: they let plain GIN find title matches without reading a row (the pool's
second tier). A gap between ranges keeps a phrase from spanning two of them.

One search (:func:`search.postgres.statements.candidates_statement`):
1. a pool of matches: with RUM, the first POOL by the index's own distance to the
   positive words, synonyms and bigrams, read in index order; on plain GIN, at most POOL
   matches in tiers that GIN finds from its posting lists alone: those holding every
   query word, then those with a query word in the title, then the others in table order;
2. the pool scored by the text score of search/ranking.py: ts_rank_cd with the field
   weights times each operand's match weight (literal words x1, synonyms x
   SYNONYM_WEIGHT, characters and bigrams x their ranking weights) and its idf
   (search/postgres/idf.py), one call per bucket of weights; its best
   `depth` rows are the candidates, with the should words each holds (coordination);
3. the total: the plain GIN/RUM count of the hits (words, synonyms and bigrams, with the
   required and excluded clauses and the filters; a character alone never makes a hit),
   exact up to a cap (search.paging.TOTAL_CAP) and "at least" the cap beyond.
The re-rank (boost, freshness, coordination) runs in Python: search/rerank.py.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from search.ranking import (
    BODY_WEIGHT,
    TAGS_WEIGHT,
    TITLE_WEIGHT,
)
from search.token_documents import TEXT_FIELDS, TokenRow
from search.token_query import QueryPlan, TokenMatch

__all__ = [
    "GRAM_MARK",
    "RANK_WEIGHTS",
    "SUB_MARK",
    "TITLE_MARK",
    "QueryGrams",
    "all_words_query",
    "clause_query",
    "clean_text",
    "hits_query",
    "match_operand",
    "operand_lexemes",
    "prefix_query",
    "ranking_query",
    "title_words_query",
    "tsquery_lexeme",
    "tsvector_literal",
]

# TokenRow strings are space-joined, so no token ever contains a space: a trailing space
# can only be our sub-word mark, a leading one our character mark. A prefix query
# ('退':*) still matches marked sub-words, never characters.
SUB_MARK = " "
GRAM_MARK = " "
TITLE_MARK = "\t"  # leading, like GRAM_MARK: no token holds a tab either

_LABELS = dict(zip(TEXT_FIELDS, "ABC", strict=True))
_GRAM_LABEL = "D"
# ts_rank_cd weights in {D, C, B, A} order for the suggestions' title rank; it refuses
# weights above 1, so the field weights are divided by the largest (ranking only compares
# scores with each other). The text score of a search weighs its terms per call instead
# (_text_score below).
RANK_WEIGHTS = [w / TITLE_WEIGHT for w in (BODY_WEIGHT, BODY_WEIGHT, TAGS_WEIGHT, TITLE_WEIGHT)]

# Server limits (tsvector.h): positions 1..16383 (higher ones are clamped), 256 positions
# per lexeme, 2047 bytes per lexeme and 1 MB of lexeme text per tsvector. Staying inside
# them means no document can make an index write fail.
MAX_POSITION = 16383
MAX_POSITIONS_PER_LEXEME = 256
MAX_LEXEME_BYTES = 2000
MAX_LEXEME_TEXT = 900_000
_FIELD_GAP = 1  # an unused position between ranges: no phrase spans two of them


def clean_text(value: object) -> str:
    """``value`` as text PostgreSQL accepts: no NUL, no lone surrogate."""
    text = "" if value is None else str(value)
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def _quoted(lexeme: str) -> str:
    return "'" + clean_text(lexeme).replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_literal(row: TokenRow, chars: str = "", bigrams: str = "") -> str:
    """The tsvector text of one document: its :class:`TokenRow` and its space-joined Han
    characters and bigrams (ngrams.grams_text; see the module docstring)."""
    ranges: list[tuple[str, list[str], int]] = []
    for field in TEXT_FIELDS:
        label = _LABELS[field]
        ranges.append((label, getattr(row, field).split(), MAX_POSITIONS_PER_LEXEME))
        ranges.append(
            (
                label,
                [t + SUB_MARK for t in getattr(row, f"{field}_sub").split()],
                MAX_POSITIONS_PER_LEXEME,
            )
        )
    for grams in (chars, bigrams):
        ranges.append(
            (_GRAM_LABEL, [GRAM_MARK + g for g in grams.split()], MAX_POSITIONS_PER_LEXEME)
        )
    # The title tier only asks whether a word is there: one position each.
    ranges.append(
        (_LABELS["title"], [TITLE_MARK + t for t in f"{row.title} {row.title_sub}".split()], 1)
    )
    positions: dict[str, dict[int, str]] = {}
    refused: set[str] = set()
    text_bytes = 0
    start = 1
    for label, lexemes, most in ranges:
        for position, lexeme in enumerate(lexemes, start):
            slots = positions.get(lexeme)
            if slots is None:
                if lexeme in refused:
                    continue
                size = len(lexeme.encode("utf-8", "replace"))
                if size > MAX_LEXEME_BYTES or text_bytes + size > MAX_LEXEME_TEXT:
                    refused.add(lexeme)
                    continue
                text_bytes += size
                slots = positions[lexeme] = {}
            if len(slots) < most:
                slots.setdefault(position if position < MAX_POSITION else MAX_POSITION, label)
        start += len(lexemes) + _FIELD_GAP
    return " ".join(
        _quoted(lexeme) + ":" + ",".join([f"{p}{label}" for p, label in slots.items()])
        for lexeme, slots in positions.items()
    )


# A quoted lexeme of _quoted, and its escapes (a backslash escapes the next character, a
# doubled quote is one quote).
_QUOTED = re.compile(r"'((?:[^'\\]|\\.|'')*)'", re.DOTALL)
_ESCAPE = re.compile(r"\\(.)|''", re.DOTALL)


def operand_lexemes(operand: str) -> tuple[list[str], bool]:
    """The lexemes of a tsquery operand built here (match_operand, or one quoted lexeme),
    and whether they are a phrase (<-> between them, outside the quotes)."""
    lexemes = [
        _ESCAPE.sub(lambda m: m.group(1) or "'", m.group(1)) for m in _QUOTED.finditer(operand)
    ]
    return lexemes, "<->" in _QUOTED.sub("", operand)


def tsquery_lexeme(token: str, suffix: str = "") -> str:
    """One quoted tsquery operand; ``suffix`` is a weight/prefix restriction like ':*A'."""
    return _quoted(token) + suffix


def _term(token: str, weights: str = "") -> str:
    # A term matches the whole word and the same text as a sub-word.
    suffix = f":{weights}" if weights else ""
    return f"({tsquery_lexeme(token, suffix)} | {tsquery_lexeme(token + SUB_MARK, suffix)})"


def match_operand(match: TokenMatch) -> str:
    if match.is_phrase:
        return "(" + " <-> ".join(tsquery_lexeme(t) for t in match.tokens) + ")"
    return _term(match.tokens[0])


def clause_query(matches: Iterable[TokenMatch]) -> str:
    """A tsquery matching any of ``matches``."""
    return "(" + " | ".join(match_operand(match) for match in matches) + ")"


def _grams_query(grams: Sequence[str]) -> str:
    return "(" + " | ".join(tsquery_lexeme(GRAM_MARK + g) for g in grams) + ")"


@dataclass(frozen=True)
class QueryGrams:
    """The query's Han characters and bigrams (ngrams.query_grams)."""

    unigrams: Sequence[str] = ()
    bigrams: Sequence[str] = ()
    # Operand -> idf (search/postgres/idf.py); an operand missing here weighs idf 1.
    idf: Mapping[str, float] = dataclasses.field(default_factory=dict)
    # Operand -> rows matching it (idf.py's estimate); missing: unknown.
    counts: Mapping[str, int] = dataclasses.field(default_factory=dict)


def hits_query(plan: QueryPlan, grams: QueryGrams) -> str:
    """The tsquery selecting the hits: every required clause (or, without any, some should
    word or query bigram) and no excluded match. Characters never make a hit."""
    if plan.required:
        expression = " & ".join(clause_query(clause) for clause in plan.required)
    else:
        parts = [clause_query(clause) for clause in plan.should]
        if grams.bigrams:
            parts.append(_grams_query(grams.bigrams))
        expression = " | ".join(parts)
    if plan.excluded:
        expression = f"({expression}) & !{clause_query(plan.excluded)}"
    return expression


def ranking_query(plan: QueryPlan, grams: QueryGrams) -> str:
    """Every positive word, synonym and bigram as one OR: what the RUM distance orders the
    pool by. Not the characters: their posting lists are the longest in the index (the
    RUM distance reads every match's positions of every operand) and their weight the
    smallest; they score in the pool."""
    clauses = [*plan.required, *plan.should]
    parts = [clause_query(clause) for clause in clauses]
    # A bigram that is itself a query word adds the same posting list twice.
    words = {match.tokens[0] for clause in clauses for match in clause if not match.is_phrase}
    bigrams = [bigram for bigram in grams.bigrams if bigram not in words]
    if bigrams:
        parts.append(_grams_query(bigrams))
    return " | ".join(parts)


def all_words_query(plan: QueryPlan) -> str | None:
    # Hits holding every should word: the GIN pool's first tier (coordination 1).
    if len(plan.should) < 2:
        return None
    return " & ".join(clause_query(clause) for clause in plan.should)


def title_words_query(plan: QueryPlan) -> str | None:
    # Hits with a query word or synonym in the title: the GIN pool's second tier.
    tokens = {
        match.tokens[0]
        for clause in [*plan.required, *plan.should]
        for match in clause
        if not match.is_phrase
    }
    if not tokens:
        return None
    return "(" + " | ".join(tsquery_lexeme(TITLE_MARK + t) for t in sorted(tokens)) + ")"


def prefix_query(tokens: list[str]) -> str:
    """Titles holding every token but the last, and a token starting with the last one."""
    parts = [_term(token, "A") for token in tokens[:-1]]
    parts.append(tsquery_lexeme(tokens[-1], ":*A"))
    return " & ".join(parts)

"""PostgreSQL text-search values built from the portal analyzer's own tokens.

Documents become tsvector literals and queries tsquery literals, both passed as bound
parameters and cast server-side. Never to_tsvector/plainto_tsquery, not even with the
'simple' configuration: its parser would re-split our tokens (c++ -> c, a.b_c -> ...) and
drop characters, so index and query would no longer speak the analyzer's language.

Inside a quoted lexeme only the quote and the backslash are special (the backslash escapes
the next character, a doubled quote is one quote), so :, &, |, !, * and spaces are plain
characters there; tests/test_postgres_backend.py round-trips hostile tokens to prove it.

Layout of a tsvector: each field's whole words at consecutive positions (weight A for the
title, B for tags, C for the body), then that field's dictionary sub-words (退货政策 ->
退货, 政策) in their own position range, marked with SUB_MARK so a phrase, which matches
unmarked lexemes at adjacent positions, never uses them — as the FTS5 backend's sub-word
columns. A gap between ranges keeps a phrase from spanning two fields.
"""

from __future__ import annotations

from collections.abc import Iterable

from search.ranking import BODY_WEIGHT, TAGS_WEIGHT, TITLE_WEIGHT
from search.sql_common import Filters, coordination, hits_expression
from search.token_documents import TEXT_FIELDS, TokenRow
from search.token_query import QueryPlan, TokenMatch

__all__ = [
    "CATEGORY_CONDITION",
    "RANK",
    "RANK_WEIGHTS",
    "SUB_MARK",
    "boolean_query",
    "clause_query",
    "clean_text",
    "count_statement",
    "prefix_query",
    "search_statement",
    "tsquery_lexeme",
    "tsvector_literal",
]

# TokenRow strings are space-joined, so no token ever contains a space: a trailing space
# can only be our mark. A prefix query ('退':*) still matches marked sub-words.
SUB_MARK = " "

_LABELS = dict(zip(TEXT_FIELDS, "ABC", strict=True))
# ts_rank_cd weights in {D, C, B, A} order; it refuses weights above 1, so the field
# weights are divided by the largest (ranking only compares scores with each other).
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


def tsvector_literal(row: TokenRow) -> str:
    """The tsvector text of one document's :class:`TokenRow` (see the module docstring)."""
    positions: dict[str, dict[int, str]] = {}
    text_bytes = 0
    position = 1
    for field in TEXT_FIELDS:
        label = _LABELS[field]
        for lexemes in (getattr(row, field).split(),
                        [t + SUB_MARK for t in getattr(row, f"{field}_sub").split()]):
            for offset, lexeme in enumerate(lexemes):
                size = len(lexeme.encode("utf-8", "replace"))
                if size > MAX_LEXEME_BYTES:
                    continue
                slots = positions.get(lexeme)
                if slots is None:
                    if text_bytes + size > MAX_LEXEME_TEXT:
                        continue
                    text_bytes += size
                    slots = positions[lexeme] = {}
                if len(slots) < MAX_POSITIONS_PER_LEXEME:
                    slots.setdefault(min(position + offset, MAX_POSITION), label)
            position += len(lexemes) + _FIELD_GAP
    return " ".join(
        _quoted(lexeme) + ":" + ",".join(f"{p}{label}" for p, label in slots.items())
        for lexeme, slots in positions.items()
    )


def tsquery_lexeme(token: str, suffix: str = "") -> str:
    """One quoted tsquery operand; ``suffix`` is a weight/prefix restriction like ':*A'."""
    return _quoted(token) + suffix


def _term(token: str, weights: str = "") -> str:
    # A term matches the whole word and the same text as a sub-word.
    suffix = f":{weights}" if weights else ""
    return f"({tsquery_lexeme(token, suffix)} | {tsquery_lexeme(token + SUB_MARK, suffix)})"


def _unit(match: TokenMatch) -> str:
    if match.is_phrase:
        return "(" + " <-> ".join(tsquery_lexeme(t) for t in match.tokens) + ")"
    return _term(match.tokens[0])


def clause_query(matches: Iterable[TokenMatch]) -> str:
    """A tsquery matching any of ``matches``."""
    return "(" + " | ".join(_unit(match) for match in matches) + ")"


def boolean_query(plan: QueryPlan) -> str:
    """The tsquery selecting the hits: every required clause (or, without any, some should
    clause) and no excluded match."""
    return hits_expression(plan, clause_query, " & ", " | ", " & !")


def prefix_query(tokens: list[str]) -> str:
    """Titles holding every token but the last, and a token starting with the last one."""
    parts = [_term(token, "A") for token in tokens[:-1]]
    parts.append(tsquery_lexeme(tokens[-1], ":*A"))
    return " & ".join(parts)


# -- statements -------------------------------------------------------------------------

_RANK_WEIGHTS_SQL = "'{" + ",".join(repr(w) for w in RANK_WEIGHTS) + "}'::float4[]"
# 0: no length normalisation, like the other engines' field weights a title match counts
# the same in a short and a long article.
RANK_NORMALIZATION = 0
RANK = f"ts_rank_cd({_RANK_WEIGHTS_SQL}, d.tsv, %s::tsquery, {RANK_NORMALIZATION})"


# The sql_common.doc_filters condition for a category: the document's array holds it.
CATEGORY_CONDITION = "d.category_ids @> ARRAY[%s]::bigint[]"


def _score(plan: QueryPlan, required: bool) -> tuple[str, list[object]]:
    # ts_rank_cd of an OR query adds up its terms' occurrences (each is a cover of its
    # own), so one call per match weight gives the weighted sum: literal words at 1,
    # synonyms at ranking.SYNONYM_WEIGHT.
    by_weight: dict[float, list[TokenMatch]] = {}
    for clause in plan.required if required else plan.should:
        for match in clause:
            by_weight.setdefault(match.weight, []).append(match)
    if not by_weight:
        return "0.0", []
    terms = [f"{float(weight)!r} * {RANK}" for weight in by_weight]
    return "(" + " + ".join(terms) + ")", [clause_query(ms) for ms in by_weight.values()]


# 1 when the hit matches the probed should clause (sql_common.coordination).
_PROBE = "(d.tsv @@ %s::tsquery)::int"


def search_statement(
    table: str,
    plan: QueryPlan,
    filters: Filters,
    freshness_weight: float,
    freshness_now: float,
    limit: int,
    offset: int,
) -> tuple[str, list[object]]:
    """SQL for one page of hits, best first: (id, score, total, key, doc_type, doc_id,
    slug, title, body). ``total`` counts every hit (the sort scores them all anyway).

    score = (required rank + optional rank x coordination) x boost x freshness.
    """
    required, required_params = _score(plan, True)
    optional, optional_params = _score(plan, False)
    coordination_sql, coordination_params = coordination(plan, _PROBE, clause_query)
    where, filter_params = filters
    conditions = " AND ".join(["d.tsv @@ %s::tsquery", *where])
    sql = f"""
        SELECT d.id, h.score, h.total, d.key, d.doc_type, d.doc_id, d.slug, d.title, d.body
        FROM (
            SELECT id, score, count(*) OVER () AS total FROM (
                SELECT d.id,
                       ({required} + {optional} * ({coordination_sql})) * d.boost
                         * (1.0 + %s * least(1.0, d.freshness * %s)) AS score
                FROM {table} d WHERE {conditions}
            ) scored
            ORDER BY score DESC, id LIMIT %s OFFSET %s
        ) h JOIN {table} d ON d.id = h.id
        ORDER BY h.score DESC, h.id
    """
    params = [*required_params, *optional_params, *coordination_params, freshness_weight,
              freshness_now, boolean_query(plan), *filter_params, limit, offset]
    return sql, params


def count_statement(table: str, plan: QueryPlan,
                    filters: Filters) -> tuple[str, list[object]]:
    """SQL counting the hits without ranking them."""
    where, filter_params = filters
    conditions = " AND ".join(["d.tsv @@ %s::tsquery", *where])
    return (f"SELECT count(*) FROM {table} d WHERE {conditions}",
            [boolean_query(plan), *filter_params])

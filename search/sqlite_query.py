"""SQLite FTS5 SQL for a QueryPlan: MATCH strings and the scoring statement."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from search.ranking import BODY_WEIGHT, FRESHNESS_WEIGHT, TAGS_WEIGHT, TITLE_WEIGHT
from search.sql_common import Filters, coordination, hits_expression
from search.token_documents import TEXT_FIELDS
from search.token_query import QueryPlan, TokenMatch

__all__ = ["BM25", "CATEGORY_CONDITION", "count_statement", "prefix_match", "search_statement"]

# Column weights in TOKEN_COLUMNS order: a sub-word counts like a word of its field.
_WEIGHTS = (TITLE_WEIGHT, TAGS_WEIGHT, BODY_WEIGHT) * 2
BM25 = "bm25(fts, " + ", ".join(repr(float(w)) for w in _WEIGHTS) + ")"
_WHOLE_WORDS = "{" + " ".join(TEXT_FIELDS) + "}"


def _quoted(tokens: Iterable[str]) -> str:
    # Inside an FTS5 string only a double quote is special; doubling it escapes it.
    return '"' + " ".join(token.replace('"', '""') for token in tokens) + '"'


def _unit(match: TokenMatch) -> str:
    if match.is_phrase:
        # Sub-word columns have no meaningful adjacency: phrases use whole words only.
        return f"{_WHOLE_WORDS} : {_quoted(match.tokens)}"
    return _quoted(match.tokens)


def _any(matches: Iterable[TokenMatch]) -> str:
    return "(" + " OR ".join(_unit(match) for match in matches) + ")"


def prefix_match(tokens: list[str]) -> str:
    """Titles holding every token but the last, and a token starting with the last one."""
    parts = [_quoted([token]) for token in tokens[:-1]]
    parts.append(_quoted(tokens[-1:]) + " *")
    return "{title title_sub} : (" + " AND ".join(parts) + ")"


def _boolean(plan: QueryPlan) -> str:
    return hits_expression(plan, _any, " AND ", " OR ", " NOT ")


# The sql_common.doc_filters condition for a category: a join table, as FTS5 has no arrays.
CATEGORY_CONDITION = (
    "EXISTS (SELECT 1 FROM doc_categories c WHERE c.doc = d.id AND c.category_id = ?)"
)


def _where(conditions: list[str]) -> str:
    return "WHERE " + " AND ".join(conditions) if conditions else ""


def count_statement(plan: QueryPlan, filters: Filters) -> tuple[str, list[object]]:
    """SQL counting the hits: one MATCH and no bm25, so it is cheap."""
    where, params = filters
    if not where:
        return "SELECT count(*) FROM fts WHERE fts MATCH ?", [_boolean(plan)]
    sql = (
        "SELECT count(*) FROM fts JOIN docs d ON d.id = fts.rowid"
        f" {_where(['fts MATCH ?', *where])}"
    )
    return sql, [_boolean(plan), *params]


class _Part(NamedTuple):
    expression: str  # FTS5 MATCH
    factor: float  # its bm25 counts this much
    required: bool  # part of the required score (else of the coordinated optional score)


def _parts(plan: QueryPlan) -> list[_Part]:
    # bm25 adds up over the phrases of a MATCH, each with an IDF of its own, so one scan
    # over every positive phrase gives the unweighted sum; scans over the synonyms alone
    # take (1 - weight) of theirs back off. The first part drives the hits.
    parts = [_Part(_boolean(plan), 1.0, bool(plan.required))]
    if plan.required and plan.should:
        parts.append(_Part(_any(m for c in plan.should for m in c), 1.0, False))
    for required, clauses in ((True, plan.required), (False, plan.should)):
        by_weight: dict[float, list[TokenMatch]] = {}
        for clause in clauses:
            for match in clause[1:]:
                by_weight.setdefault(match.weight, []).append(match)
        parts.extend(_Part(_any(ms), w - 1.0, required) for w, ms in by_weight.items())
    return parts


# 1 when the hit matches the probed should clause (sql_common.coordination).
_PROBE = "(p0.id IN (SELECT rowid FROM fts WHERE fts MATCH ?))"


def search_statement(
    plan: QueryPlan, filters: Filters, freshness_now: float
) -> tuple[str, list[object]]:
    """SQL returning (id, score) of every hit, best first; the caller appends LIMIT/OFFSET.

    score = (required bm25 + optional bm25 x coordination) x boost x freshness, synonyms
    weighted as in search/ranking.py.
    """
    parts = _parts(plan)
    ctes = ", ".join(
        f"p{i}(id, s) AS MATERIALIZED (SELECT rowid, -{BM25} FROM fts WHERE fts MATCH ?)"
        for i in range(len(parts))
    )
    joins = " ".join(f"LEFT JOIN p{i} ON p{i}.id = p0.id" for i in range(1, len(parts)))

    def total(required: bool) -> str:
        terms = [
            f"{part.factor!r} * coalesce(p{i}.s, 0.0)"
            for i, part in enumerate(parts)
            if part.required == required
        ]
        return "(" + (" + ".join(terms) or "0.0") + ")"

    coordination_sql, coordination_params = coordination(plan, _PROBE, _any)
    where, filter_params = filters
    sql = f"""
        WITH {ctes}
        SELECT p0.id,
               ({total(True)} + {total(False)} * {coordination_sql}) * d.boost
                 * (1.0 + ? * min(1.0, d.freshness * ?)) AS score
        FROM p0 JOIN docs d ON d.id = p0.id {joins}
        {_where(where)}
        ORDER BY score DESC, p0.id
    """
    params = [
        *(part.expression for part in parts),
        *coordination_params,
        FRESHNESS_WEIGHT,
        freshness_now,
        *filter_params,
    ]
    return sql, params

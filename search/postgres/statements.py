"""The SQL of one PostgreSQL search (the query model of search/ranking.py), built from the
tsquery pieces of search/postgres/query.py: the pool of matches, its text score (with
each operand's idf, search/postgres/idf.py), the candidates and the total."""

from __future__ import annotations

import math
from dataclasses import dataclass

from search.ngrams import unigram_weight
from search.planning import PlannedSearch
from search.postgres.query import (
    GRAM_MARK,
    RANK_WEIGHTS,
    QueryGrams,
    all_words_query,
    clause_query,
    hits_query,
    match_operand,
    ranking_query,
    title_words_query,
    tsquery_lexeme,
)
from search.ranking import BIGRAM_WEIGHT, BODY_WEIGHT, TAGS_WEIGHT, TITLE_WEIGHT
from search.token_query import QueryPlan

__all__ = [
    "CATEGORY_CONDITION",
    "RANK",
    "Filters",
    "Pool",
    "candidates_statement",
    "doc_filters",
    "page_statement",
    "score_units",
]

_RANK_WEIGHTS_SQL = "'{" + ",".join(repr(w) for w in RANK_WEIGHTS) + "}'::float4[]"
# 0: no length normalisation, like the other engines' field weights a title match counts
# the same in a short and a long article.
RANK_NORMALIZATION = 0
RANK = f"ts_rank_cd({_RANK_WEIGHTS_SQL}, d.tsv, %s::tsquery, {RANK_NORMALIZATION})"
_WEIGHTED_RANK = f"ts_rank_cd(%s::float4[], d.tsv, %s::tsquery, {RANK_NORMALIZATION})"


# A pooled row's tsvector fetched once: the CTE would keep a pointer to the stored value
# (out of line in the TOAST table), which every rank call and word probe then fetches
# (and decompresses) again; an empty concatenation returns the tsvector as a value of
# its own.
_DETOASTED = "(d.tsv || ''::tsvector)"

# The doc_filters condition for a category: the document's array holds it.
CATEGORY_CONDITION = "d.category_ids @> ARRAY[%s]::bigint[]"

Filters = tuple[list[str], list[object]]
"""WHERE conditions on the documents (alias ``d``) and their parameters, in order."""


def doc_filters(search: PlannedSearch, mark: str, category_condition: str) -> Filters:
    """The request filters as conditions with ``mark`` as placeholder; the category one is
    ``category_condition`` (its own placeholder included), as engines store categories
    differently."""
    where: list[str] = []
    params: list[object] = []
    if search.doc_type is not None:
        where.append(f"d.doc_type = {mark}")
        params.append(search.doc_type)
    if search.language is not None:
        where.append(f"d.language = {mark}")
        params.append(search.language)
    if search.category_id is not None:
        where.append(category_condition)
        params.append(search.category_id)
    return where, params


KNOWN_MARGIN = 2  # _known_hits: a word's count may be twice its rows (idf.py)
_BUCKET = math.log(1.25)  # idfs within 25 % of each other share one rank call


def _bucket(weight: float) -> float:
    return math.exp(round(math.log(weight) / _BUCKET) * _BUCKET)


def score_units(plan: QueryPlan, grams: QueryGrams) -> list[tuple[str, float, bool]]:
    """Every scored tsquery operand of the text score: (operand, weight, is a word);
    operands of words are matched in A-C, those of characters and bigrams in D."""
    units = [
        (match_operand(match), float(match.weight), True)
        for clause in [*plan.required, *plan.should]
        for match in clause
    ]
    units += [(tsquery_lexeme(GRAM_MARK + g), BIGRAM_WEIGHT, False) for g in grams.bigrams]
    units += [(tsquery_lexeme(GRAM_MARK + c), unigram_weight(c), False) for c in grams.unigrams]
    return units


def _text_score(plan: QueryPlan, grams: QueryGrams) -> tuple[str, list[object]]:
    # ts_rank_cd has no idf and weighs per label, not per operand; the text score is a sum
    # of calls, each over the operands whose weight x idf (search/postgres/idf.py) falls
    # in one bucket. ts_rank_cd of an OR query adds up its operands' occurrences (each is
    # a cover of its own). A call holds a word bucket (A-C) and a character bucket (D):
    # each row's tsvector, the costly part, is read by as few calls as can be.
    words: dict[float, list[str]] = {}
    chars: dict[float, list[str]] = {}
    for operand, weight, is_word in score_units(plan, grams):
        if weight <= 0:
            continue
        target = words if is_word else chars
        # The idf is bucketed, not the match weight: a synonym keeps its exact share.
        target.setdefault(weight * _bucket(grams.idf.get(operand, 1.0)), []).append(operand)
    word_items = sorted(words.items(), reverse=True)
    char_items = sorted(chars.items(), reverse=True)
    # ts_rank_cd refuses weights above 1: all are divided by the largest (a constant
    # factor for the query, which the ranking never sees).
    scale = max(
        [w * max(TITLE_WEIGHT, TAGS_WEIGHT, BODY_WEIGHT) for w in words]
        + [w * BODY_WEIGHT for w in chars]
        + [1.0]
    )
    terms: list[str] = []
    params: list[object] = []
    for index in range(max(len(word_items), len(char_items))):
        word_weight, units = word_items[index] if index < len(word_items) else (0.0, [])
        char_weight, operands = char_items[index] if index < len(char_items) else (0.0, [])
        weights = [
            char_weight * BODY_WEIGHT,
            word_weight * BODY_WEIGHT,
            word_weight * TAGS_WEIGHT,
            word_weight * TITLE_WEIGHT,
        ]
        terms.append(_WEIGHTED_RANK)
        params += [[w / scale for w in weights], " | ".join([*units, *operands])]
    if not terms:
        return "0", []
    return "(" + " + ".join(terms) + ")", params


def _matched(plan: QueryPlan) -> tuple[str, list[object]]:
    # How many should words a candidate holds (ranking.coordination), one word included:
    # a hit through bigrams alone keeps the floor share of its score.
    if not plan.should:
        return "0", []
    probes = " + ".join("(d.tsv @@ %s::tsquery)::int" for _ in plan.should)
    return f"({probes})", [clause_query(clause) for clause in plan.should]


@dataclass(frozen=True)
class Pool:
    """How the pool of matches is bounded: ``size`` rows, by the RUM distance or not; the
    hits are counted exactly up to ``count`` (the total says "at least" beyond)."""

    size: int
    rum: bool
    count: int


def _tiers_sql(
    table: str, plan: QueryPlan, grams: QueryGrams, filters: Filters, pool: Pool
) -> tuple[str, str, list[object]]:
    # GIN: the hits in tiers by what GIN answers from posting lists alone, each tier in
    # table order. Returns the SQL of the tiers CTE and of the rest CTE, and their
    # parameters: the rest is every hit, as many as the total counts, read only when the
    # known tier (_known_hits) did not already find that many.
    where, filter_params = filters
    hits = hits_query(plan, grams)
    conditions = " AND ".join(["d.tsv @@ %s::tsquery", *where])
    # Without a required or excluded clause every narrower tier is itself a hit: its
    # query then skips the hits' long posting lists (the bigrams).
    plain = not plan.required and not plan.excluded
    known = _known_hits(plan, grams, filters, pool) if plain else None
    tiers: list[str] = []
    params: list[object] = []
    narrowing = [all_words_query(plan), title_words_query(plan), known]
    for tier, extra in enumerate(narrowing):
        if extra is None:
            continue
        query = extra if plain else f"({hits}) & {extra}"
        limit = pool.count if tier == _KNOWN_TIER else pool.size
        tiers.append(f"(SELECT d.id, {tier} AS tier FROM {table} d WHERE {conditions} LIMIT %s)")
        params += [query, *filter_params, limit]
    if not tiers:
        tiers.append("(SELECT NULL::bigint AS id, 0 AS tier WHERE false)")
    # A condition on no row: the planner tests it once, and skips the scan when false.
    rest = (
        f"SELECT d.id, {_KNOWN_TIER + 1} AS tier FROM {table} d"
        f" WHERE ({_KNOWN_COUNT}) < %s AND {conditions} LIMIT %s"
    )
    params += [pool.count, hits, *filter_params, pool.count]
    return " UNION ALL ".join(tiers), rest, params


_KNOWN_TIER = 2
_KNOWN_COUNT = f"SELECT count(*) FROM tiers WHERE tier = {_KNOWN_TIER}"


def _known_hits(plan: QueryPlan, grams: QueryGrams, filters: Filters, pool: Pool) -> str | None:
    # Without a required or excluded clause every word, synonym or bigram of the query is
    # a hit by itself. One in well over pool.count rows (idf.py's counts) likely holds
    # that many hits alone, filters included: then the known tier finds them, which proves
    # the total passes the cap, and fills the pool without reading the posting lists of
    # every word and bigram (the rest). Unfiltered, the one with the fewest such rows
    # (the cheapest read); filtered, the one with the most (the likeliest to get there).
    operands = [match_operand(match) for clause in plan.should for match in clause]
    operands += [tsquery_lexeme(GRAM_MARK + g) for g in grams.bigrams]
    counts = [
        (grams.counts.get(o, 0), o)
        for o in operands
        if grams.counts.get(o, 0) >= KNOWN_MARGIN * pool.count
    ]
    if not counts:
        return None
    return (max if filters[0] else min)(counts)[1]


def candidates_statement(
    table: str,
    plan: QueryPlan,
    grams: QueryGrams,
    filters: Filters,
    pool: Pool,
    depth: int,
) -> tuple[str, list[object]]:
    """SQL for the best ``depth`` of the pool by text score, best first: (id, text score,
    boost, updated, should words held, total hits up to ``pool.count``). No row when
    there is no hit."""
    score, score_params = _text_score(plan, grams)
    matched, matched_params = _matched(plan)
    where, filter_params = filters
    conditions = " AND ".join(["d.tsv @@ %s::tsquery", *where])
    hits = hits_query(plan, grams)
    columns = f"d.id, {_DETOASTED} AS tsv, d.boost, d.updated"
    if pool.rum:
        # The RUM index hands matches over in distance order: no match is ranked in SQL
        # beyond the pool, and the positions come from the index, not the table.
        head = f"""pool AS MATERIALIZED (
            SELECT {columns} FROM {table} d WHERE {conditions}
            ORDER BY d.tsv <=> %s::tsquery LIMIT %s)"""
        head_params = [hits, *filter_params, ranking_query(plan, grams), pool.size]
        total = f"(SELECT count(*) FROM (SELECT FROM {table} d WHERE {conditions} LIMIT %s) c)"
        total_params = [hits, *filter_params, pool.count]
    else:
        tiers, rest, head_params = _tiers_sql(table, plan, grams, filters, pool)
        head = f"""tiers AS MATERIALIZED ({tiers}),
        rest AS MATERIALIZED ({rest}),
        pool AS MATERIALIZED (
            SELECT {columns} FROM (
                SELECT id FROM (SELECT * FROM tiers UNION ALL SELECT * FROM rest) t
                GROUP BY id ORDER BY min(tier), id LIMIT %s) p
            JOIN {table} d ON d.id = p.id)"""
        head_params.append(pool.size)
        total = f"""(CASE WHEN ({_KNOWN_COUNT}) >= %s THEN %s
                     ELSE (SELECT count(*) FROM rest) END)"""
        total_params = [pool.count, pool.count]
    sql = f"""
        WITH {head}
        SELECT d.id, d.score, d.boost, d.updated, {matched} AS matched, {total} AS total
        FROM (
            SELECT d.id, d.tsv, d.boost, d.updated, {score} AS score FROM pool d
            ORDER BY score DESC, d.id LIMIT %s
        ) d
        ORDER BY d.score DESC, d.id
    """
    return sql, [*head_params, *matched_params, *total_params, *score_params, depth]


def page_statement(table: str) -> str:
    """SQL for the stored fields of the rows whose ids are bound as one array."""
    return (
        f"SELECT d.id, d.key, d.doc_type, d.doc_id, d.slug, d.title, d.body"
        f" FROM {table} d WHERE d.id = ANY(%s)"
    )

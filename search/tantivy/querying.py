"""A query plan (search/token_query.py) as tantivy queries.

Three queries per search, all built from the same clauses:
- ``ranking``: every word, synonym, character and bigram clause as SHOULD terms, plus the
  required and excluded ones and the filters; its top-k is the candidate set. Its flat
  form (no required or excluded words) leaves the filters to a check of its candidates;
- ``hits``: what counts as a match (words, synonyms, bigrams; single characters only
  score) — its cheap count is the total (or, past search.paging.TOTAL_CAP, a lower
  bound from its terms' document counts, as "at least"), and candidates must match it;
  built only for the flat ranking, which also finds non-hits (an exact ranking counts
  its own matches);
- a check of the candidates: how many query words each has (coordination), read from
  constant scores in one search; in the flat form, those with no word are asked once
  more whether they have a query bigram (else they are no hits).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import tantivy

from search.han import is_han
from search.ngrams import unigram_weight
from search.planning import PlannedSearch
from search.ranking import (
    BIGRAM_WEIGHT,
    BODY_WEIGHT,
    TAGS_WEIGHT,
    TITLE_WEIGHT,
)
from search.tantivy.schema import (
    ANY_WORD_FIELD,
    BIGRAM_FIELD,
    CHAR_FIELD,
    FAST_FILTERS,
    SUB_FIELDS,
    WORD_FIELDS,
)
from search.token_query import Alternatives, TokenMatch

__all__ = [
    "SearchQueries",
    "build_queries",
    "candidate_check",
    "filter_query",
    "filter_terms",
    "suggest_query",
]

Occur = tantivy.Occur
FilterTerm = tuple[str, str | int]  # (field, value) of a doc_type / language / category filter
_FIELD_WEIGHTS = dict(zip(WORD_FIELDS, (TITLE_WEIGHT, TAGS_WEIGHT, BODY_WEIGHT), strict=True))
# A dictionary sub-word weighs what its whole word weighs in the same field.
_TERM_FIELDS = (
    *((name, _FIELD_WEIGHTS[name]) for name in WORD_FIELDS),
    *((sub, _FIELD_WEIGHTS[name]) for sub, name in zip(SUB_FIELDS, WORD_FIELDS, strict=True)),
)


@dataclass(frozen=True)
class SearchQueries:
    """The queries of one search; ``words`` holds one clause per should word."""

    ranking: tantivy.Query  # prunable: candidates may include documents that are no hits
    exact_ranking: tantivy.Query  # hits only (walks every hit: for a few hits)
    # What counts as a hit, only counted (backend.count_hits: nothing scored); None when
    # the ranking is exact, which matches the same documents (its own count is the total).
    hits: tantivy.Query | None
    words: tuple[tantivy.Query, ...]
    # Any of the query's bigrams. In the flat form a hit is a document with a query word
    # or a bigram, so the check asks a candidate with no word for these.
    grams: tantivy.Query | None = None
    # (field, term) of the single terms among ``hits``: every document of one of them is a
    # hit, so the largest document count among them is a lower bound of the total.
    hit_terms: tuple[tuple[str, str], ...] = ()
    # The request's filters, when ``ranking`` leaves them to a check of its candidates.
    filters: tuple[FilterTerm, ...] = ()


def _boosted(query: tantivy.Query, weight: float) -> tantivy.Query:
    return query if weight == 1.0 else tantivy.Query.boost_query(query, weight)


def _term(schema: tantivy.Schema, field: str, token: str, weight: float) -> tantivy.Query:
    return _boosted(tantivy.Query.term_query(schema, field, token), weight)


def _match_terms(schema: tantivy.Schema, match: TokenMatch) -> list[tantivy.Query]:
    """One match as flat weighted queries: a term in every word field, or a phrase."""
    if match.is_phrase:
        return [
            _boosted(
                tantivy.Query.phrase_query(schema, name, list(match.tokens)),
                _FIELD_WEIGHTS[name] * match.weight,
            )
            for name in WORD_FIELDS
        ]
    token = match.tokens[0]
    return [_term(schema, name, token, weight * match.weight) for name, weight in _TERM_FIELDS]


def _any(queries: Sequence[tantivy.Query]) -> tantivy.Query:
    if len(queries) == 1:
        return queries[0]
    return tantivy.Query.boolean_query([(Occur.Should, q) for q in queries])


def _clause(schema: tantivy.Schema, alternatives: Alternatives) -> list[tantivy.Query]:
    return [q for match in alternatives for q in _match_terms(schema, match)]


def _presence(schema: tantivy.Schema, alternatives: Sequence[TokenMatch]) -> tantivy.Query:
    """Matches a document having any of the matches anywhere, unscored: a term through
    any_word (one posting list), a phrase in any whole-word field."""
    queries = []
    for match in alternatives:
        if match.is_phrase:
            queries += [
                tantivy.Query.phrase_query(schema, name, list(match.tokens)) for name in WORD_FIELDS
            ]
        else:
            queries.append(tantivy.Query.term_query(schema, ANY_WORD_FIELD, match.tokens[0]))
    return _any(queries)


def _counted(alternatives: Sequence[TokenMatch], bigrams: set[str]) -> list[TokenMatch]:
    """The matches to count beside the query's ``bigrams``: a term starting with two Han
    characters is left out when its first bigram is counted. A document's words and
    bigrams come from the same folded text, so a document with such a word has the bigram
    too; each posting list left out is one the count need not walk."""
    return [
        match
        for match in alternatives
        if match.is_phrase or not _has_counted_bigram(match.tokens[0], bigrams)
    ]


def _has_counted_bigram(token: str, bigrams: set[str]) -> bool:
    return len(token) >= 2 and is_han(token[0]) and is_han(token[1]) and token[:2] in bigrams


def filter_terms(search: PlannedSearch) -> tuple[FilterTerm, ...]:
    """The request's doc_type / language / category filters as (field, value) terms."""
    wanted = (
        ("doc_type", search.doc_type),
        ("language", search.language),
        ("category_ids", search.category_id),
    )
    return tuple((name, value) for name, value in wanted if value is not None)


def filter_query(schema: tantivy.Schema, terms: Sequence[FilterTerm]) -> list[tantivy.Query]:
    """Filter terms as term queries, to be required."""
    return [tantivy.Query.term_query(schema, name, value) for name, value in terms]


def build_queries(
    schema: tantivy.Schema, search: PlannedSearch, unigrams: Sequence[str], bigrams: Sequence[str]
) -> SearchQueries:
    """The ranking, hits and per-word queries of a planned search (its plan is not None)."""
    plan = search.plan
    if plan is None:
        raise ValueError("a search without a query plan has nothing to build")
    words = [_clause(schema, clause) for clause in plan.should]
    # The bigram terms unweighted (hits, the check) and weighted (scoring): one term each.
    grams_present = [tantivy.Query.term_query(schema, BIGRAM_FIELD, gram) for gram in bigrams]
    bigram_terms = [_boosted(term, BIGRAM_WEIGHT) for term in grams_present]
    unigram_terms = [_term(schema, CHAR_FIELD, c, unigram_weight(c)) for c in unigrams]
    wanted = filter_terms(search)
    # Unscored: a filter term's own BM25 would add a constant to every filtered hit.
    filters = [
        (Occur.Must, tantivy.Query.const_score_query(f, 0.0)) for f in filter_query(schema, wanted)
    ]
    required = [(Occur.Must, _any(_clause(schema, clause))) for clause in plan.required]
    excluded = [(Occur.MustNot, _presence(schema, plan.excluded))] if plan.excluded else []
    presence = [_presence(schema, clause) for clause in plan.should]
    scoring = [q for clause in words for q in clause] + bigram_terms
    hits, hit_terms = None, ()
    if plan.required:
        # Words are optional beside required clauses: they only add to the score.
        ranking = tantivy.Query.boolean_query(
            [*required, *filters, *excluded, *((Occur.Should, q) for q in scoring + unigram_terms)]
        )
        exact = ranking
    else:
        exact = tantivy.Query.boolean_query(
            [
                (Occur.Must, _any(scoring)),
                *filters,
                *excluded,
                *((Occur.Should, q) for q in unigram_terms),
            ]
        )
        ranking = exact
        if unigram_terms and not excluded and all(f in FAST_FILTERS for f, _v in wanted):
            # Flat SHOULD terms: tantivy's block-max WAND prunes this shape; candidates that
            # only share characters are dropped afterwards (they are not hits), so the hits
            # are counted apart (the same documents as ``exact``), and filters are checked
            # on the candidates' fast fields (a filter required beside the terms stops the
            # pruning; a category, a multi-valued field, keeps the exact form). Without
            # characters (no Han text) the exact form is these terms alone: counting it
            # while ranking costs less than a count of its own (English queries at 100k:
            # 0.43 ms against 0.71 on the bench corpus).
            ranking = _any(scoring + unigram_terms)
            counted = [_counted(clause, set(bigrams)) for clause in plan.should]
            hits = _any([_presence(schema, c) for c in counted if c] + grams_present)
            hit_terms = (
                *(
                    (ANY_WORD_FIELD, match.tokens[0])
                    for clause in counted
                    for match in clause
                    if not match.is_phrase
                ),
                *((BIGRAM_FIELD, gram) for gram in bigrams),
            )
    return SearchQueries(
        ranking=ranking,
        exact_ranking=exact,
        hits=hits,
        words=tuple(presence),
        grams=_any(grams_present) if grams_present else None,
        hit_terms=hit_terms,
        filters=wanted if hits is not None else (),
    )


def candidate_check(
    schema: tantivy.Schema, clauses: Sequence[tantivy.Query], uids: Sequence[int]
) -> tantivy.Query:
    """One query over the candidates (by uid) whose score says how many of ``clauses``
    each has (constant scores add up)."""
    # One term query per uid: tantivy's term_set_query walks the uid term dictionary with
    # an automaton, 1 ms at 100k documents against 0.07 ms for the terms (bench.engines).
    candidates = _any([tantivy.Query.term_query(schema, "uid", uid) for uid in uids])
    return tantivy.Query.boolean_query(
        [
            (Occur.Must, tantivy.Query.const_score_query(candidates, 0.0)),
            *((Occur.Should, tantivy.Query.const_score_query(q, 1.0)) for q in clauses),
        ]
    )


def suggest_query(
    schema: tantivy.Schema, words: Sequence[str], last: Sequence[str]
) -> tantivy.Query:
    """Titles with every token of ``words`` and one of the ``last`` (prefix) terms."""
    clauses = [(Occur.Must, tantivy.Query.term_query(schema, "title", w)) for w in words]
    clauses.append((Occur.Must, _any([tantivy.Query.term_query(schema, "title", t) for t in last])))
    return tantivy.Query.boolean_query(clauses)

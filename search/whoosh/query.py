"""A query plan (search/token_query.py) as Whoosh term and phrase queries, and its hits.

The query model of search/ranking.py, in the terms of search/whoosh/arrays.py:
- ``scoring``: every word, synonym, phrase, bigram and character query; their BM25F
  scores summed are a document's text score;
- the hits (:func:`hits`): documents with every required clause, or else with some word
  or bigram (single characters only score), no excluded match, every filter term, and not
  deleted; the count of hits is the total, and the per-word masks give each candidate's
  coordination.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from whoosh import query as wq

from search.ngrams import unigram_weight
from search.planning import PlannedSearch
from search.ranking import BIGRAM_WEIGHT
from search.token_query import Alternatives, TokenMatch
from search.whoosh.arrays import ReaderArrays

__all__ = [
    "BIGRAM_FIELD",
    "CHAR_FIELD",
    "SEARCH_FIELDS",
    "SearchQueries",
    "build_queries",
    "hits",
]

SEARCH_FIELDS = ("title", "tags", "body")
CHAR_FIELD = "chars"
BIGRAM_FIELD = "bigrams"
# Title x3 and tags x2 (ranking.TITLE_WEIGHT, TAGS_WEIGHT) are the fields' field_boost in
# the schema: whoosh multiplies term weights by them when indexing, as BM25F intends.
_FIELD_WEIGHTS = dict.fromkeys(SEARCH_FIELDS, 1.0)


@dataclass(frozen=True)
class SearchQueries:
    """The queries of one search. ``words`` holds one clause per should word (its term
    or phrase queries), ``required`` one per required clause; a hit has every required
    clause (or, without any, some word or bigram) and no ``excluded`` query, and passes
    every ``filters`` term."""

    scoring: tuple[wq.Query, ...]
    words: tuple[tuple[wq.Query, ...], ...]
    required: tuple[tuple[wq.Query, ...], ...]
    bigrams: tuple[wq.Query, ...]
    excluded: tuple[wq.Query, ...]
    filters: tuple[wq.Query, ...]


def _match_queries(match: TokenMatch) -> list[wq.Query]:
    """One match in every word field: a term, or a phrase of adjacent tokens."""
    if match.is_phrase:
        return [
            wq.Phrase(name, list(match.tokens), boost=_FIELD_WEIGHTS[name] * match.weight)
            for name in SEARCH_FIELDS
        ]
    token = match.tokens[0]
    return [
        wq.Term(name, token, boost=_FIELD_WEIGHTS[name] * match.weight) for name in SEARCH_FIELDS
    ]


def _clause(alternatives: Alternatives) -> tuple[wq.Query, ...]:
    return tuple(q for match in alternatives for q in _match_queries(match))


def _filters(search: PlannedSearch) -> tuple[wq.Query, ...]:
    filters: list[wq.Query] = []
    if search.doc_type is not None:
        filters.append(wq.Term("doc_type", search.doc_type))
    if search.language is not None:
        filters.append(wq.Term("language", search.language))
    if search.category_id is not None:
        filters.append(wq.Term("category_ids", str(search.category_id)))
    return tuple(filters)


def build_queries(
    search: PlannedSearch, unigrams: Sequence[str], bigrams: Sequence[str]
) -> SearchQueries:
    """The queries of a planned search (its plan is not None) with the query's Han
    characters and bigrams (search/ngrams.py)."""
    plan = search.plan
    if plan is None:
        raise ValueError("a search without a query plan has nothing to build")
    words = tuple(_clause(clause) for clause in plan.should)
    required = tuple(_clause(clause) for clause in plan.required)
    bigram_terms = tuple(wq.Term(BIGRAM_FIELD, gram, boost=BIGRAM_WEIGHT) for gram in bigrams)
    unigram_terms = [wq.Term(CHAR_FIELD, c, boost=unigram_weight(c)) for c in unigrams]
    positive = [q for clause in (*required, *words) for q in clause]
    return SearchQueries(
        scoring=(*positive, *bigram_terms, *unigram_terms),
        words=words,
        required=required,
        bigrams=bigram_terms,
        # Exclusions take no synonyms: -退货 keeps 退款 articles.
        excluded=tuple(q for match in plan.excluded for q in _match_queries(match)),
        filters=_filters(search),
    )


def hits(arrays: ReaderArrays, queries: SearchQueries) -> tuple[np.ndarray, list[np.ndarray]]:
    """(the hits, and per should word the documents having it) as boolean masks over
    docnums."""
    words = [arrays.mask(clause) for clause in queries.words]
    if queries.required:
        found = arrays.mask(queries.required[0])
        for clause in queries.required[1:]:
            found &= arrays.mask(clause)
    else:
        found = arrays.mask(queries.bigrams)
        for word in words:
            found |= word
    for term in queries.filters:
        found &= arrays.mask((term,))
    if queries.excluded:
        found &= ~arrays.mask(queries.excluded)
    found &= arrays.live
    return found, words

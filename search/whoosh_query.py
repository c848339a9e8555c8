"""A query plan (search/token_query.py) as Whoosh queries, and the hits as docnum sets.

The query model of search/ranking.py, step by step:
- ``ranking``: every word, synonym, phrase, bigram and character as one flat Or, scored
  with plain BM25F; its top ranking.CANDIDATES (whoosh's block-quality pruning) among the
  hits are the candidates;
- the hits themselves (words, synonyms, bigrams; single characters only score) are
  computed as sets of docnums, straight from the postings (:func:`hit_docnums`): their
  size is the total, and the per-word sets give each candidate's coordination;
- ``highlight``: the positive word terms, which the highlighter marks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from whoosh import query as wq
from whoosh.searching import Searcher

from search.ranking import BIGRAM_WEIGHT, UNIGRAM_WEIGHT
from search.sql_common import PlannedSearch
from search.token_query import Alternatives, TokenMatch

__all__ = [
    "BIGRAM_FIELD",
    "CHAR_FIELD",
    "SEARCH_FIELDS",
    "SearchQueries",
    "build_queries",
    "docnums",
    "hit_docnums",
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

    ranking: wq.Query
    highlight: wq.Query
    words: tuple[tuple[wq.Query, ...], ...]
    required: tuple[tuple[wq.Query, ...], ...]
    bigrams: tuple[wq.Query, ...]
    excluded: tuple[wq.Query, ...]
    filters: tuple[wq.Query, ...]


def _match_queries(match: TokenMatch) -> list[wq.Query]:
    """One match in every word field: a term, or a phrase of adjacent tokens."""
    if match.is_phrase:
        return [wq.Phrase(name, list(match.tokens), boost=_FIELD_WEIGHTS[name] * match.weight)
                for name in SEARCH_FIELDS]
    token = match.tokens[0]
    return [wq.Term(name, token, boost=_FIELD_WEIGHTS[name] * match.weight)
            for name in SEARCH_FIELDS]


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


def build_queries(search: PlannedSearch, unigrams: Sequence[str],
                  bigrams: Sequence[str]) -> SearchQueries:
    """The queries of a planned search (its plan is not None) with the query's Han
    characters and bigrams (search/ngrams.py)."""
    plan = search.plan
    assert plan is not None
    words = tuple(_clause(clause) for clause in plan.should)
    required = tuple(_clause(clause) for clause in plan.required)
    bigram_terms = tuple(wq.Term(BIGRAM_FIELD, gram, boost=BIGRAM_WEIGHT) for gram in bigrams)
    unigram_terms = [wq.Term(CHAR_FIELD, gram, boost=UNIGRAM_WEIGHT) for gram in unigrams]
    positive = [q for clause in (*required, *words) for q in clause]
    return SearchQueries(
        ranking=wq.Or([*positive, *bigram_terms, *unigram_terms]),
        highlight=wq.Or(positive),
        words=words,
        required=required,
        bigrams=bigram_terms,
        # Exclusions take no synonyms: -退货 keeps 退款 articles.
        excluded=tuple(q for match in plan.excluded for q in _match_queries(match)),
        filters=_filters(search),
    )


def docnums(searcher: Searcher, queries: Iterable[wq.Query]) -> set[int]:
    """Docnums matching any of ``queries`` (terms or phrases), deleted documents left out."""
    found: set[int] = set()
    for query in queries:
        found.update(query.docs(searcher))
    return found


def hit_docnums(searcher: Searcher, queries: SearchQueries) -> tuple[set[int], list[set[int]]]:
    """(the hits, and per should word the documents having it) as sets of docnums; the
    per-word sets are left empty when nothing needs them (required clauses and at most
    one word)."""
    word_sets = []
    if not queries.required or len(queries.words) > 1:  # hits, or coordination, need them
        word_sets = [docnums(searcher, clause) for clause in queries.words]
    if queries.required:
        hits = docnums(searcher, queries.required[0])
        for clause in queries.required[1:]:
            if not hits:
                break
            hits &= docnums(searcher, clause)
    else:
        hits = set().union(*word_sets)
        hits |= docnums(searcher, queries.bigrams)
    for term in queries.filters:
        if not hits:
            break
        hits &= docnums(searcher, (term,))
    if hits and queries.excluded:
        hits -= docnums(searcher, queries.excluded)
    return hits, word_sets

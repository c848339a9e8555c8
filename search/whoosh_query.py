"""Whoosh query building from a ParsedQuery, request filters and the portal's scoring model."""

from __future__ import annotations

from whoosh import query as wq
from whoosh.matching import WrappingMatcher
from whoosh.query.wrappers import WrappingQuery
from whoosh.scoring import BM25F
from whoosh.searching import SearchContext
from whoosh.util.times import long_to_datetime

from search.backend import SearchRequest
from search.query import Clause, ParsedQuery
from search.ranking import SYNONYM_WEIGHT, age_in_days, freshness_boost

__all__ = ["SEARCH_FIELDS", "PortalQuery", "PortalWeighting", "build_filter", "build_query"]

SEARCH_FIELDS = ("title", "tags", "body")


def _freshness(raw_updated: int) -> float:
    # Raw DATETIME column values; a document without a date reads as the maximum long.
    try:
        return freshness_boost(age_in_days(long_to_datetime(raw_updated)))
    except (OverflowError, ValueError):
        return 1.0


class PortalWeighting(BM25F):
    """BM25F multiplied by each document's stored ``boost`` column (IndexDocument.boost)
    and by its freshness (search/ranking.py), both read once per index generation.

    Whoosh's ``_boost`` only scales term frequencies, which BM25 then saturates, so a
    boost of 2 does not double a score; multiplying the final score does.
    """

    use_final = True

    def __init__(self, **kwargs: float) -> None:
        super().__init__(**kwargs)
        self._reader = None
        self._boosts: list[float] = []

    def final(self, searcher, docnum: int, score: float) -> float:
        """Scale the BM25F score by the document's boost (1.0 when absent)."""
        reader = searcher.reader()
        if reader is not self._reader:
            # Loaded once per index generation; the backend refreshes under a lock.
            boosts = list(reader.column_reader("boost")) if reader.has_column("boost") else []
            if reader.has_column("updated") and boosts:
                updated = reader.column_reader("updated", translate=False)
                boosts = [b * _freshness(raw) for b, raw in zip(boosts, updated, strict=False)]
            self._boosts = boosts
            self._reader = reader
        boosts = self._boosts
        return score * boosts[docnum] if docnum < len(boosts) else score


class _PortalMatcher(WrappingMatcher):
    # Two jobs: (1) never let whoosh prune sub-matchers by "quality", because final() can
    # raise a score above the quality bound (boost > 1) and pruning would also make the
    # hit count inexact; (2) optional coordination: multiply by matched/total query terms.

    def __init__(self, child, n_terms: int = 0, leaves=None, synonym_of=None) -> None:
        super().__init__(child)
        self._n_terms = n_terms
        if leaves is None and n_terms > 1:
            # (leaf matcher, token) pairs, collected once: leaf objects survive the tree
            # rewrites done by replace(), and checking them directly is much cheaper than
            # whoosh's recursive matching_terms() on every scored document. A synonym
            # counts as the query term it stands for.
            synonym_of = synonym_of or {}
            leaves = [
                (m, synonym_of.get(m.term()[1], m.term()[1]))
                for m in child.term_matchers()
                if m.term()
            ]
        self._leaves = leaves or []

    def _replacement(self, newchild):
        return self.__class__(newchild, self._n_terms, self._leaves)

    def replace(self, minquality=0):
        return super().replace(0)

    def supports_block_quality(self) -> bool:
        return False

    def score(self) -> float:
        child = self.child
        score = child.score()
        if self._n_terms > 1:
            docnum = child.id()
            matched = {text for m, text in self._leaves if m.is_active() and m.id() == docnum}
            score *= len(matched) / self._n_terms
        return score


class PortalQuery(WrappingQuery):
    """Wraps a query in :class:`_PortalMatcher` (no pruning; optional coordination)."""

    def __init__(self, child: wq.Query, n_terms: int = 0, synonym_of=None) -> None:
        super().__init__(child)
        self.n_terms = n_terms
        self.synonym_of = synonym_of or {}

    def _rewrap(self, child: wq.Query) -> PortalQuery:
        return self.__class__(child, self.n_terms, self.synonym_of)

    def matcher(self, searcher, context=None):
        """Return the child's matcher wrapped in :class:`_PortalMatcher`."""
        if context is None:
            context = SearchContext(weighting=searcher.weighting)
        # Coordination inspects which sub-matchers sit on the current document, so rule
        # out the pre-loaded array matchers whoosh otherwise picks for small indexes.
        context = context.set(needs_current=True)
        matcher = self.child.matcher(searcher, context)
        return _PortalMatcher(matcher, self.n_terms, synonym_of=self.synonym_of)


def _clause(tokens: Clause, alternatives: dict[str, tuple[str, ...]] | None = None) -> wq.Query:
    if len(tokens) == 1:
        token = tokens[0]
        terms = [wq.Term(name, token) for name in SEARCH_FIELDS]
        for synonym in (alternatives or {}).get(token, ()):
            terms.extend(wq.Term(name, synonym, boost=SYNONYM_WEIGHT) for name in SEARCH_FIELDS)
        return wq.Or(terms)
    return wq.Or([wq.Phrase(name, list(tokens)) for name in SEARCH_FIELDS])


def build_query(parsed: ParsedQuery) -> wq.Query | None:
    """Return the Whoosh query for ``parsed``, or None when nothing positive remains.

    Should-terms are OR-ed with coordination so documents matching more of the terms rank
    first; must/phrase clauses are required; must_not clauses exclude.
    """
    if parsed.is_empty:
        return None
    alternatives = parsed.alternatives
    required = [_clause(clause, alternatives) for clause in [*parsed.must, *parsed.phrases]]
    optional = None
    if parsed.should:
        terms = wq.Or([_clause((token,), alternatives) for token in parsed.should])
        synonym_of = {alt: token for token, alts in alternatives.items() for alt in alts}
        optional = PortalQuery(terms, n_terms=len(parsed.should), synonym_of=synonym_of)
    if required:
        positive: wq.Query = wq.And(required) if len(required) > 1 else required[0]
        if optional is not None:
            positive = wq.AndMaybe(positive, optional)
    else:
        assert optional is not None
        positive = optional
    if parsed.must_not:
        positive = wq.AndNot(positive, wq.Or([_clause(c) for c in parsed.must_not]))
    return PortalQuery(positive)


def build_filter(request: SearchRequest) -> wq.Query | None:
    """Return a filter query for the request's doc_type / language / category, or None."""
    terms: list[wq.Query] = []
    if request.doc_type:
        terms.append(wq.Term("doc_type", str(request.doc_type)))
    if request.language:
        terms.append(wq.Term("language", str(request.language)))
    if request.category_id is not None:
        # str() rather than int(): a malformed id simply matches nothing.
        terms.append(wq.Term("category_ids", str(request.category_id)))
    if not terms:
        return None
    return wq.And(terms) if len(terms) > 1 else terms[0]

"""Request planning every engine shares: a SearchRequest becomes one :class:`PlannedSearch`
(page window, parsed query and its plan, checked filters)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from search.backend import SearchHit, SearchRequest, SearchResults
from search.paging import page_window
from search.query import ParsedQuery, parse_user_query
from search.token_query import QueryPlan, plan_query

__all__ = [
    "BIGINT",
    "PlannedSearch",
    "canonical_id",
    "plan_search",
]

# Both engines store ids as signed 64-bit integers; a larger number matches nothing
# (and SQLite would refuse to bind it).
BIGINT = 2**63


def canonical_id(value: object) -> int | None:
    """``value`` as an id, or None: like the Whoosh backend's term filter, only the
    canonical spelling of an id ("3", not "03" or "+3") matches anything."""
    text = str(value)
    try:
        number = int(text)
    except ValueError:
        return None
    return number if str(number) == text and -BIGINT <= number < BIGINT else None


@dataclass(frozen=True)
class PlannedSearch:
    """A SearchRequest checked and planned; ``plan`` is None when nothing can match."""

    page: int
    per_page: int
    tokens: list[str]
    plan: QueryPlan | None
    doc_type: str | None = None
    language: str | None = None
    category_id: int | None = None
    parsed: ParsedQuery = field(default_factory=ParsedQuery)  # what ``plan`` was made from
    highlight: bool = True

    @property
    def offset(self) -> int:
        """How many hits come before this page."""
        return (self.page - 1) * self.per_page

    def highlight_tokens(self) -> set[str]:
        """The tokens to mark in the page's titles and snippets (none when not wanted)."""
        if self.plan is None or not self.highlight:
            return set()
        return self.plan.highlight_tokens()

    def results(
        self, total: int = 0, hits: list[SearchHit] | None = None, at_least: bool = False
    ) -> SearchResults:
        """This page's SearchResults (empty by default); ``at_least`` when the engine stopped
        counting at ``total``."""
        return SearchResults(
            total=total,
            hits=hits or [],
            page=self.page,
            per_page=self.per_page,
            tokens=self.tokens,
            total_is_lower_bound=at_least,
        )


def plan_search(request: SearchRequest, text: Callable[[object], str] = str) -> PlannedSearch:
    """Plan ``request``; ``text`` turns the doc_type and language filters into values the
    engine accepts."""
    page, per_page = page_window(request.page, request.per_page)
    parsed = parse_user_query(request.text)
    plan = plan_query(parsed)
    category_id = None
    if request.category_id is not None:
        category_id = canonical_id(request.category_id)
        if category_id is None:
            plan = None  # a category that cannot exist: no hits, whatever the query
    return PlannedSearch(
        page=page,
        per_page=per_page,
        tokens=parsed.tokens,
        plan=plan,
        doc_type=text(request.doc_type) if request.doc_type else None,
        language=text(request.language) if request.language else None,
        category_id=category_id,
        parsed=parsed,
        highlight=request.highlight,
    )

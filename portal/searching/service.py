"""Run a search for a visitor and log it; log clicks on results."""

from dataclasses import dataclass

from flask import current_app

from portal.clock import now
from portal.extensions import db
from portal.indexing.backend import get_backend
from portal.indexing.documents import get_source
from portal.kb.translations import one_hit_per_group, reader_language
from portal.models import SearchClick, SearchLog
from portal.rows import insert_values
from portal.search_tuning.loader import ensure_current
from portal.searching.bots import is_bot
from portal.searching.params import SearchParams
from portal.searching.pii import mask_pii
from portal.url_templates import url_with
from portal.visitor import identity_key
from search.analyzer import normalize_query, tokenize
from search.backend import SearchRequest, SearchResults


@dataclass
class LoggedSearch:
    results: SearchResults
    search_id: int  # the SearchLog row's: the pages need only its id


def search_index(params: SearchParams, highlight: bool = True) -> SearchResults:
    """The page of hits PARAMS asks for, as the reader sees it (two translations of one
    article are one answer, in the reader's language). Nothing is logged. ``highlight``
    False: no <mark> in titles and snippets, for callers that show no hits."""
    ensure_current()  # editors' synonyms and product terms, without a restart
    request = SearchRequest(
        text=params.q,
        doc_type=params.doc_type,
        category_id=params.category.id if params.category else None,
        language=params.language,
        page=params.page,
        per_page=current_app.config["SEARCH_PER_PAGE"],
        highlight=highlight,
    )
    results = get_backend().search(request)
    results.hits = one_hit_per_group(results.hits, reader_language())
    return results


def run_search(
    params: SearchParams,
    user_id: int | None,
    anon_id: str | None,
    source: str,
    user_agent: str | None = None,
    is_staff: bool = False,
    visitor_key: str | None = None,
    results: SearchResults | None = None,
) -> LoggedSearch:
    """Search the index and write one SearchLog row (the data the insights pages mine).
    ``results``: what search_index(params) returned for this very search on the index as
    it is now (a bulk writer that repeats searches passes it instead of searching again)."""
    ensure_current()  # the tuning's user words also cut the logged tokens
    if results is None:
        results = search_index(params)
    at = now()
    # Personal data typed into the box is masked before anything is stored.
    masked = mask_pii(params.q)
    (search_id,) = insert_values(
        SearchLog,
        created_at=at,
        user_id=user_id,
        anon_id=anon_id,
        visitor_key=visitor_key or identity_key(user_id, anon_id),
        source=source,
        query_raw=masked[:500],
        query_normalized=normalize_query(masked)[:500],
        tokens=" ".join(tokenize(masked))[:1000],
        filters=params.filters(),
        result_count=results.total,
        page=params.page,
        user_agent=(user_agent or "")[:300] or None,
        is_bot=is_bot(user_agent, user_id, anon_id, at),
        is_staff=is_staff,
    )
    db.session.commit()
    return LoggedSearch(results, search_id)


def hit_url(doc_type: str, doc_id: int, slug: str) -> str:
    return get_source(doc_type).url(doc_id, slug)


def click_url(search_id: int, hit) -> str:
    """The link that records a click on ``hit`` of search ``search_id``, then opens it."""
    return url_with("search.click", "search_id", search_id, key=hit.key, rank=hit.rank)


def new_click(search_id: int, doc_type: str, doc_id: int, rank: int) -> SearchClick:
    """The row a click on a result adds (record_click; the demo traffic adds a day's in
    one go, since nothing reads them back during the day)."""
    return SearchClick(
        search_id=search_id, doc_type=doc_type, doc_id=doc_id, rank=rank, created_at=now()
    )


def record_click(search: SearchLog, doc_type: str, doc_id: int, rank: int) -> SearchClick:
    click = new_click(search.id, doc_type, doc_id, rank)
    db.session.add(click)
    db.session.commit()
    return click

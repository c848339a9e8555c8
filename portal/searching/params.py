"""Validating search parameters from a query string (page and API share this)."""

from dataclasses import dataclass

from portal.inputs import whole_number
from portal.kb.queries import CategoryView, category_by_slug
from portal.models.kb import LANGUAGES
from search.paging import MAX_PAGE
from search.query import MAX_QUERY_CHARS

DOC_TYPES = ("article", "forum")


class SearchParamError(ValueError):
    """A parameter the caller must fix; the message says which and how."""


@dataclass
class SearchParams:
    q: str = ""
    doc_type: str | None = None
    category: CategoryView | None = None
    language: str | None = None
    page: int = 1

    def filters(self) -> dict:
        return {
            key: value
            for key, value in (
                ("type", self.doc_type),
                ("category", self.category.slug if self.category else None),
                ("lang", self.language),
            )
            if value
        }


def parse_search_params(args) -> SearchParams:
    """Read q, type, category, lang and page; raise SearchParamError on a bad value."""
    q = " ".join((args.get("q") or "").split())[:MAX_QUERY_CHARS]
    doc_type = args.get("type") or None
    if doc_type is not None and doc_type not in DOC_TYPES:
        raise SearchParamError(f"type must be one of: {', '.join(DOC_TYPES)}")
    language = args.get("lang") or None
    if language is not None and language not in LANGUAGES:
        raise SearchParamError(f"lang must be one of: {', '.join(LANGUAGES)}")
    category = None
    category_slug = args.get("category") or None
    if category_slug is not None:
        category = category_by_slug(category_slug[:80])
        if category is None:
            raise SearchParamError(f"unknown category: {category_slug[:80]}")
    try:
        page = whole_number(args.get("page") or "1", 1, MAX_PAGE)
    except ValueError:
        raise SearchParamError(f"page must be a whole number from 1 to {MAX_PAGE}") from None
    return SearchParams(q, doc_type, category, language, page)

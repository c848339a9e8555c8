"""'Link to an article' in the editor: a search over published articles whose pick is put
into the text as 《title》, which the save turns into a link (portal/kb/cross_refs.py).

A view of its own (not /api/v1/search): an editor looking for a title is not a customer
searching, so nothing is logged and only articles are returned."""

from flask import jsonify, request

from portal.editor import bp
from portal.indexing.backend import get_backend
from portal.permissions import editor_required
from portal.searching.service import hit_url
from search.backend import SearchRequest
from search.query import MAX_QUERY_CHARS

LINK_CHOICES = 8  # titles offered at a time


def linkable_articles(text: str, limit: int = LINK_CHOICES) -> list[dict]:
    """Published articles (the index holds no drafts) matching ``text``, best first, each
    with the citation to put into the Markdown."""
    text = text.strip()[:MAX_QUERY_CHARS]
    if not text:
        return []
    request_ = SearchRequest(text=text, doc_type="article", per_page=limit)
    return [
        {
            "title": hit.title,
            "citation": f"《{hit.title}》",
            "url": hit_url(hit.doc_type, hit.doc_id, hit.slug),
        }
        for hit in get_backend().search(request_).hits
    ]


@bp.route("/article-links")
@editor_required
def article_links():
    """JSON: the articles the editor's words find, to cite as 《title》."""
    return jsonify({"articles": linkable_articles(request.args.get("q", ""))})

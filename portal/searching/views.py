"""The search results page (with did-you-mean), autocomplete JSON, the click-through redirect."""

from dataclasses import replace

from flask import abort, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from portal.extensions import db
from portal.indexing.documents import get_source
from portal.inputs import whole_number
from portal.kb.queries import category_tree, popular_articles
from portal.kb.translations import localize, reader_language
from portal.models import SearchLog
from portal.searching import bp
from portal.searching.autocomplete import suggest
from portal.searching.params import SearchParamError, SearchParams, parse_search_params
from portal.searching.service import click_url, hit_url, record_click, run_search
from portal.searching.spelling import FEW_RESULTS, did_you_mean
from portal.visitor import current_identity, current_is_staff, is_own_record, visitor_key
from search.query import MAX_QUERY_CHARS


@bp.route("/search")
def results():
    try:
        params = parse_search_params(request.args)
    except SearchParamError as error:
        return _render(SearchParams(q=(request.args.get("q") or "")[:200]), error=str(error)), 400
    if not params.q:
        return _render(params)
    user_id, anon_id = current_identity()
    logged = run_search(
        params,
        user_id,
        anon_id,
        "page",
        request.user_agent.string,
        current_is_staff(),
        visitor_key(),
    )
    correction = did_you_mean(params, logged.results.total)
    if correction and not logged.results.total and not request.args.get("nocorrect"):
        # Nothing found and an obvious correction finds something: show its results at
        # once (the failed query stays logged for the content-gap reports).
        corrected = replace(params, q=correction, page=1)
        logged_correction = run_search(
            corrected,
            user_id,
            anon_id,
            "corrected",
            request.user_agent.string,
            current_is_staff(),
            visitor_key(),
        )
        return _render(corrected, logged=logged_correction, typed=params.q)
    return _render(params, logged=logged, did_you_mean=correction)


def _render(
    params: SearchParams,
    logged=None,
    error: str | None = None,
    did_you_mean: str | None = None,
    typed: str | None = None,
):
    """The results page; ``typed`` is the query the user typed when the results shown are
    those of its correction, ``params.q``."""
    results = logged.results if logged else None
    return render_template(
        "search/results.html",
        params=params,
        results=results,
        search_id=logged.search_id if logged else None,
        hit_url=hit_url,
        click_url=click_url,
        suggestions=(
            localize(popular_articles(6), reader_language())
            if not results or not results.total
            else []
        ),
        did_you_mean=did_you_mean,
        typed=typed,
        few_results=results is not None and results.total <= FEW_RESULTS,
        categories=category_tree(),
        error=error,
    )


@bp.route("/search/autocomplete")
def autocomplete():
    """Suggestions for the text typed so far: {"q", "suggestions": [{text, kind, url}]}."""
    typed = request.args.getlist("q")
    if len(typed) > 1:
        return jsonify({"error": "give q once", "status": 400}), 400
    q = typed[0] if typed else ""
    if len(q) > MAX_QUERY_CHARS:
        return jsonify({"q": q[:MAX_QUERY_CHARS], "suggestions": []})
    return jsonify(
        {
            "q": q,
            "suggestions": [
                {"text": entry.text, "kind": entry.kind, "url": _suggestion_url(entry)}
                for entry in suggest(q)
            ],
        }
    )


def _suggestion_url(entry) -> str:
    if entry.kind == "query":
        return url_for("search.results", q=entry.text)
    return hit_url("article" if entry.kind == "article" else "forum", entry.doc_id, entry.slug)


@bp.route("/search/click/<int:search_id>")
def click(search_id: int):
    """Record which result was opened, at which rank, for which search; then go there."""
    search = db.session.get(SearchLog, search_id) or abort(404)
    doc_type, _sep, raw_id = (request.args.get("key") or "").partition(":")
    try:
        doc_id = whole_number(raw_id, 1)
        rank = whole_number(request.args.get("rank"), 1, 10_000)
    except ValueError:
        abort(400, description=_("The result link is incomplete."))
    try:
        source = get_source(doc_type)
    except KeyError:
        abort(400, description=_("The result link is incomplete."))
    doc = source.load({doc_id}).get(doc_id) or abort(404)
    target = hit_url(doc_type, doc.doc_id, doc.slug)
    if not is_own_record(search):  # a search id alone does not let anyone add clicks to it
        return redirect(target)
    record_click(search, doc_type, doc.doc_id, rank)
    separator = "&" if "?" in target else "?"
    return redirect(f"{target}{separator}sid={search.id}")

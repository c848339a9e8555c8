"""GET /api/v1/search, GET /api/v1/ping and GET /healthz."""

from flask import jsonify, request
from sqlalchemy import text

from portal.api import bp
from portal.extensions import csrf, db
from portal.indexing.backend import get_backend
from portal.indexing.outbox import pending_count
from portal.searching.params import SearchParamError, parse_search_params
from portal.searching.service import click_url, hit_url, run_search
from portal.searching.spelling import did_you_mean
from portal.visitor import current_identity, current_is_staff, visitor_key
from search.backend import SearchRequest

_HEALTH_PROBE = SearchRequest("healthz", per_page=1, highlight=False)

csrf.exempt(bp)  # read-only GET endpoints; nothing here changes state for the caller


@bp.route("/api/v1/search")
def search():
    try:
        params = parse_search_params(request.args)
    except SearchParamError as error:
        return jsonify({"error": str(error), "status": 400}), 400
    if not params.q:
        return jsonify({"error": "q is required", "status": 400}), 400
    user_id, anon_id = current_identity()
    logged = run_search(
        params,
        user_id,
        anon_id,
        "api",
        request.user_agent.string,
        current_is_staff(),
        visitor_key(),
    )
    results = logged.results
    return jsonify(
        {
            "total": results.total,
            "total_is_lower_bound": results.total_is_lower_bound,
            "page": results.page,
            "pages": results.pages,
            "did_you_mean": did_you_mean(params, results.total),
            "search_id": logged.search_id,
            "results": [
                {
                    "id": hit.doc_id,
                    "type": hit.doc_type,
                    "slug": hit.slug,
                    "title": hit.title,
                    "url": hit_url(hit.doc_type, hit.doc_id, hit.slug),
                    "click_url": click_url(logged.search_id, hit),
                    "snippet": hit.snippet,
                    "score": round(hit.score, 4),
                    "rank": hit.rank,
                }
                for hit in results.hits
            ],
        }
    )


@bp.route("/api/v1/ping")
def ping():
    """Liveness for load balancers (and the HTTP benchmark's floor): no database, no index."""
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.route("/healthz")
def healthz():
    """Database and index state, for load balancers and people."""
    status, body = 200, {"status": "ok"}
    try:
        db.session.execute(text("SELECT 1"))
        body["database"] = {"ok": True, "pending_index_tasks": pending_count()}
    except Exception as error:  # report, don't crash: this is what health checks are for
        db.session.rollback()
        status, body["status"] = 503, "degraded"
        body["database"] = {"ok": False, "error": error.__class__.__name__}
    try:
        backend = get_backend()
        body["index"] = {"ok": True, "documents": backend.document_count()}
        # An index the engine can count but not search (one an older version wrote counts
        # 0 documents until `flask search reindex`) fails here, not on customers' searches.
        backend.search(_HEALTH_PROBE)
    except Exception as error:
        status, body["status"] = 503, "degraded"
        body["index"] = {"ok": False, "error": error.__class__.__name__}
    return jsonify(body), status

"""The insights overview: headline figures, charts and query tables for a date range.

Read-only: the page reads the rollups (and a few small tables); the background schedule and
`flask insights rollup` write them."""

from urllib.parse import urlencode

from flask import abort, current_app, render_template, request, url_for
from flask_babel import gettext as _

from portal.extensions import db
from portal.insights import bp
from portal.insights.charts import searches_by_hour_chart, searches_per_day_chart
from portal.insights.kpis import compute_kpis, excluded_counts, format_value
from portal.insights.query_reports import query_report
from portal.insights.rollup import ROLLUP_NAME
from portal.insights.tables import pick_csv
from portal.insights.view_args import requested_range
from portal.models import RollupState
from portal.permissions import editor_required


def _link(endpoint: str, path: str, args: dict) -> str:
    """url_for when the endpoint is registered, else the plain path (pages in progress)."""
    if endpoint in current_app.view_functions:
        return url_for(endpoint, **args)
    return f"{path}?{urlencode(args)}"


@bp.route("/")
@editor_required
def overview():
    rng, range_error = requested_range()
    include_staff = request.args.get("staff") == "1"
    report = query_report(rng)
    if request.args.get("csv"):
        response = pick_csv(report.tables, request.args["csv"])
        if response is None:
            abort(
                400,
                description=_(
                    "There is no table “%(name)s” on this page.", name=request.args["csv"]
                ),
            )
        return response
    range_args = rng.query_args() | ({"staff": "1"} if include_staff else {})
    return render_template(
        "insights/overview.html",
        rng=rng,
        range_error=range_error,
        previous=rng.previous(),
        include_staff=include_staff,
        range_args=range_args,
        kpis=compute_kpis(rng, exclude_staff=not include_staff),
        excluded=excluded_counts(rng),
        state=db.session.get(RollupState, ROLLUP_NAME),
        day_chart=searches_per_day_chart(report.daily),
        hour_chart=searches_by_hour_chart(report.hourly),
        tables=report.tables,
        format_value=format_value,
        links={
            "gaps": _link("insights.gaps", "/insights/gaps", rng.query_args()),
            "articles": _link("insights.articles", "/insights/articles", rng.query_args()),
        },
    ), 400 if range_error else 200

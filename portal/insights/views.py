"""Placeholder: being written."""

from portal.insights import bp


@bp.route("/")
def overview():
    return "insights"

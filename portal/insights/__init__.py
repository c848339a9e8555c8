"""Insights for editors and admins: what customers search, find, miss and ask."""

from flask import Blueprint

bp = Blueprint("insights", __name__, url_prefix="/insights")

from portal.insights import gap_views, views  # noqa: E402,F401

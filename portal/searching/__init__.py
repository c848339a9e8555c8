"""The search page, result-click logging, and the search service shared with the API."""

from flask import Blueprint

bp = Blueprint("search", __name__)

from portal.searching import views  # noqa: E402,F401

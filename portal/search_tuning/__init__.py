"""Editor pages for search tuning: synonym groups and the product-term dictionary."""

from flask import Blueprint

bp = Blueprint("search_tuning", __name__, url_prefix="/editor/search-tuning")

from portal.search_tuning import views  # noqa: E402,F401

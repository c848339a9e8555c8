"""Authoring for editors: articles with revisions, categories and tags."""

from flask import Blueprint

bp = Blueprint("editor", __name__, url_prefix="/editor")

from portal.editor import (  # noqa: E402,F401  (register the routes)
    article_links,
    image_views,
    localization,
    review_views,
    taxonomy_views,
    views,
)

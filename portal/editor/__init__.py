"""Authoring for editors: articles with revisions, categories and tags."""

from flask import Blueprint

bp = Blueprint("editor", __name__, url_prefix="/editor")

from portal.editor import localization, review_views, taxonomy_views, views  # noqa: E402,F401

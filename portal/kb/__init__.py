"""Knowledge base for customers: home, categories, articles, helpful votes."""

from flask import Blueprint

bp = Blueprint("kb", __name__)

from portal.kb import (  # noqa: E402,F401  (routes, doc source, 《title》 links on save)
    cross_refs,
    image_files,
    search_documents,
    views,
)

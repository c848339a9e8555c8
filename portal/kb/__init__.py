"""Knowledge base for customers: home, categories, articles, helpful votes."""

from flask import Blueprint

bp = Blueprint("kb", __name__)

from portal.kb import image_files, search_documents, views  # noqa: E402,F401  (routes, doc source)

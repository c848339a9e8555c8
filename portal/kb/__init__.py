"""Knowledge base for customers: home, categories, articles, helpful votes."""

from flask import Blueprint

bp = Blueprint("kb", __name__)

from portal.kb import search_documents, views  # noqa: E402,F401  (register routes and the doc source)

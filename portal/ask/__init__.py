"""Ask a question, with suggestions shown first (deflection) and every ask session recorded."""

from flask import Blueprint

bp = Blueprint("ask", __name__, url_prefix="/forum/ask")

from portal.ask import views  # noqa: E402,F401

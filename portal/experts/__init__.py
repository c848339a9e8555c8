"""Expert profiles, routing unanswered questions to experts, and the expert queues."""

from flask import Blueprint

bp = Blueprint("experts", __name__, url_prefix="/experts")

from portal.experts import views  # noqa: E402,F401

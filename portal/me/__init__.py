"""My page: a customer's questions, watched topics, notifications and recommendations."""

from flask import Blueprint

bp = Blueprint("me", __name__, url_prefix="/me")

from portal.me import views  # noqa: E402,F401

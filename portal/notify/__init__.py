"""Notifications in the portal (the bell) and by e-mail (the outbox)."""

from flask import Blueprint

bp = Blueprint("notify", __name__)

from portal.notify import views  # noqa: E402,F401

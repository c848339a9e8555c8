"""Who is asking: the logged-in user, or an anonymous visitor known by a random session id."""

import secrets

from flask import session
from flask_login import current_user

from portal.extensions import db
from portal.models import User


def load_user(session_id: str) -> User | None:
    """flask-login's user loader: "<id>:<marker>" (User.get_id); a stale marker means the
    password changed since this session began, so the session is no longer valid."""
    user_id, _sep, marker = (session_id or "").partition(":")
    try:
        user = db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None
    if user is None or marker != user.session_marker():
        return None
    return user


def current_anon_id() -> str:
    """A random id for this browser session, created on first use (no IP address is kept)."""
    if "anon_id" not in session:
        session["anon_id"] = secrets.token_hex(16)
    return session["anon_id"]


def current_identity() -> tuple[int | None, str | None]:
    """(user_id, anon_id): exactly one of them is set."""
    if current_user.is_authenticated:
        return current_user.id, None
    return None, current_anon_id()


STAFF_ROLES = ("expert", "editor", "admin")


def current_is_staff() -> bool:
    """Staff searches are kept apart in the insights (they test, they do not need help)."""
    return bool(current_user.is_authenticated and current_user.role in STAFF_ROLES)

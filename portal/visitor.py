"""Who is asking: the logged-in user, or an anonymous visitor known by a random session id
(for the visitor's own records) and by a keyed hash of their network (for counting)."""

import hashlib
import hmac
import ipaddress
import secrets
from datetime import timedelta

from flask import current_app, request, session
from flask_login import current_user

from portal.extensions import db
from portal.models import User
from portal.roles import is_staff

# A visitor's views of one article or topic within this window count once.
VIEW_DEDUP_WINDOW = timedelta(minutes=30)


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


def current_is_staff() -> bool:
    """Staff searches are kept apart in the insights (they test, they do not need help)."""
    return is_staff(current_user)


def identity_key(user_id: int | None, anon_id: str | None) -> str:
    """The key of an account or of one browser session (callers outside a request)."""
    return f"user:{user_id}" if user_id is not None else f"anon:{anon_id}"


def visitor_key() -> str:
    """Who to count once (votes, views, popular queries): the account, or for anonymous
    visitors a keyed hash of their network. A client that drops its cookie gets a new
    anon_id for free; a new address costs far more. No IP address is stored."""
    if current_user.is_authenticated:
        return identity_key(current_user.id, None)
    digest = hmac.new(
        current_app.config["SECRET_KEY"].encode(), _network().encode(), hashlib.sha256
    ).hexdigest()
    return f"net:{digest[:32]}"


def _network() -> str:
    """The client's address; for IPv6 its /64, which one household or device gets whole."""
    address = request.remote_addr or ""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 4:
        return str(parsed)
    if parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    return str(ipaddress.ip_network(f"{parsed}/64", strict=False))


def is_own_record(record) -> bool:
    """True when ``record`` (a SearchLog, AskSession...: user_id and anon_id) was made by the
    current visitor: the same account, or the same browser session. Knowing its id or token
    is not enough to add to it."""
    if current_user.is_authenticated and record.user_id == current_user.id:
        return True
    anon_id = session.get("anon_id")
    return bool(anon_id and record.anon_id and hmac.compare_digest(record.anon_id, anon_id))

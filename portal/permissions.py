"""Who may do what: one decorator family guards every view."""

from functools import wraps
from urllib.parse import urlsplit

from flask import abort
from flask_login import current_user

from portal.extensions import login_manager
from portal.roles import ADMIN, EDITOR_ROLES, is_editor


def role_required(*roles: str):
    """Allow the view only to logged-in users holding one of ``roles``.

    Anonymous visitors are sent to the login page (JSON callers get 401); logged-in users
    without the role get the 403 page that explains what is missing."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403, description=", ".join(roles))
            return view(*args, **kwargs)

        return wrapped

    return decorator


editor_required = role_required(*EDITOR_ROLES)
admin_required = role_required(ADMIN)


def can_edit_articles(user) -> bool:
    return is_editor(user)


def same_site_path(target: str | None) -> bool:
    """True for a path on this site ("/forum/t/1"), false for anything a browser could take
    to another host: "//evil", "https://evil", and "/\\evil" (browsers read "\\" as "/")."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc

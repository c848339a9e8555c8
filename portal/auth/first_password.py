"""An account whose password someone else chose (the first admin, created by `flask users
ensure-admin` with a one-time password it printed) changes it before doing anything else:
every other page sends it to the change-password page."""

from flask import redirect, request, url_for
from flask_login import current_user

from portal.auth import bp

# What such an account may still reach: the page that fixes it, logging out, the language
# switch, static files and the health check.
ALLOWED_ENDPOINTS = frozenset(
    {"auth.password", "auth.logout", "auth.set_language", "static", "api.healthz"}
)


@bp.before_app_request
def require_own_password():
    if request.endpoint in ALLOWED_ENDPOINTS or not current_user.is_authenticated:
        return None
    if not getattr(current_user, "must_change_password", False):
        return None
    return redirect(url_for("auth.password"), 303)

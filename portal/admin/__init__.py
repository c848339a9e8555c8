"""Administration: users and roles, and the audit log."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from portal.admin import audit_views, views  # noqa: E402,F401

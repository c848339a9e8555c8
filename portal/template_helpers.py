"""Filters and globals available in every template."""

from datetime import datetime, timedelta

from flask import Flask, request
from flask_babel import format_datetime, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.clock import now
from portal.i18n import select_locale
from portal.models.kb import LANGUAGE_NAMES
from portal.notify.services import unread_count
from portal.permissions import can_edit_articles
from portal.roles import is_admin, is_editor, is_staff
from portal.url_templates import remembered_url_for

# Stored values as readers see them (one place: the pages and the flash messages use these).
STATUS_LABELS = {"draft": _l("Draft"), "published": _l("Published"), "archived": _l("Archived")}
ROLE_LABELS = {
    "customer": _l("Customer"),
    "expert": _l("Expert"),
    "editor": _l("Editor"),
    "admin": _l("Admin"),
}


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


def category_name(category) -> str:
    return category.display_name(str(get_locale())) if category else ""


def category_description(category) -> str:
    return category.display_description(str(get_locale())) if category else ""


def when(value: datetime | None) -> str:
    return format_datetime(value, "yyyy-MM-dd HH:mm") if value else ""


def duration(value: timedelta | None) -> str:
    """A short human duration: 45 min, 3 h 5 min, 2 d 4 h."""
    if value is None:
        return ""
    minutes = max(0, int(value.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(days)d d %(hours)d h", days=days, hours=hours)
    if hours:
        return _("%(hours)d h %(minutes)d min", hours=hours, minutes=minutes)
    return _("%(minutes)d min", minutes=minutes)


def init_app(app: Flask) -> None:
    app.jinja_env.filters["category_name"] = category_name
    app.jinja_env.filters["category_description"] = category_description
    app.jinja_env.filters["when"] = when
    app.jinja_env.filters["status_label"] = status_label
    app.jinja_env.filters["role_label"] = role_label
    app.jinja_env.filters["duration"] = duration
    app.jinja_env.globals["url_for"] = remembered_url_for
    app.jinja_env.globals["language_name"] = LANGUAGE_NAMES.get
    app.jinja_env.globals["can_edit_articles"] = can_edit_articles
    app.jinja_env.globals.update(is_staff=is_staff, is_editor=is_editor, is_admin=is_admin)

    @app.context_processor
    def page_globals():
        unread = unread_count(current_user.id) if current_user.is_authenticated else 0
        return {
            "current_locale": select_locale(),  # "zh_CN" | "en" (Babel says zh_Hans_CN)
            "current_path": request.full_path.rstrip("?"),
            "unread_notifications": unread,
            "now_utc": now(),
        }

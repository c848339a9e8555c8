"""Filters and globals available in every template."""

from datetime import datetime, timedelta

from flask import Flask, request
from flask_babel import format_datetime, get_locale
from flask_login import current_user

from portal.clock import now
from portal.i18n import select_locale
from portal.models.kb import LANGUAGE_NAMES
from portal.notify.services import unread_count
from portal.permissions import can_edit_articles


def category_name(category) -> str:
    return category.display_name(str(get_locale())) if category else ""


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
        return f"{days} d {hours} h"
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def init_app(app: Flask) -> None:
    app.jinja_env.filters["category_name"] = category_name
    app.jinja_env.filters["when"] = when
    app.jinja_env.filters["duration"] = duration
    app.jinja_env.globals["language_name"] = LANGUAGE_NAMES.get
    app.jinja_env.globals["can_edit_articles"] = can_edit_articles

    @app.context_processor
    def page_globals():
        unread = unread_count(current_user.id) if current_user.is_authenticated else 0
        return {
            "current_locale": select_locale(),  # "zh_CN" | "en" (Babel says zh_Hans_CN)
            "current_path": request.full_path.rstrip("?"),
            "unread_notifications": unread,
            "now_utc": now(),
        }

"""Filters and globals available in every template."""

from datetime import datetime

from flask import Flask, request
from flask_babel import format_datetime, get_locale

from portal.permissions import can_edit_articles

LANGUAGE_NAMES = {"zh-CN": "简体中文", "zh-TW": "繁體中文", "en": "English"}


def category_name(category) -> str:
    return category.display_name(str(get_locale())) if category else ""


def when(value: datetime | None) -> str:
    return format_datetime(value, "yyyy-MM-dd HH:mm") if value else ""


def init_app(app: Flask) -> None:
    app.jinja_env.filters["category_name"] = category_name
    app.jinja_env.filters["when"] = when
    app.jinja_env.globals["language_name"] = LANGUAGE_NAMES.get
    app.jinja_env.globals["can_edit_articles"] = can_edit_articles

    @app.context_processor
    def page_globals():
        return {"current_locale": str(get_locale()), "current_path": request.full_path.rstrip("?")}

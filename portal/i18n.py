"""Which language a page is shown in: zh_CN unless the visitor chose otherwise."""

from flask import current_app, has_request_context, session
from flask_login import current_user


def select_locale() -> str:
    """An explicit switch in this session wins, then the user's profile, then the default."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and background work
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]

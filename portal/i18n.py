"""Which language a page is shown in: zh_CN unless the visitor chose otherwise."""

from flask import Flask, current_app, g, has_app_context, has_request_context, session
from flask_babel import get_translations
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


_TRANSLATIONS = "_portal_translations"


def _translations():
    """flask-babel's translations for this context, looked up once per context: its own
    get_translations() reads the context four times a call, and a results page makes ~40
    calls. Kept on ``g`` like flask-babel's own cached locale, so it follows the same
    request (nothing here calls flask_babel.refresh())."""
    if not has_app_context():
        return get_translations()
    found = g.get(_TRANSLATIONS)
    if found is None:
        found = get_translations()
        setattr(g, _TRANSLATIONS, found)
    return found


def install_template_gettext(app: Flask) -> None:
    """The templates' _() and ngettext() through _translations() (call after babel.init_app,
    which installs its own)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda text: _translations().ugettext(text),
        ngettext=lambda singular, plural, n: _translations().ungettext(singular, plural, n),
        newstyle=True,
        pgettext=lambda context, text: _translations().upgettext(context, text),
        npgettext=lambda context, singular, plural, n: _translations().unpgettext(
            context, singular, plural, n
        ),
    )

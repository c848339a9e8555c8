"""A banned account may read but not write: one check before every state-changing request,
so a write route added later is covered without remembering to call anything."""

from flask import Flask, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Leaving must stay possible; the language choice lives only in the visitor's own cookie.
ALLOWED_WHILE_BANNED = frozenset({"auth.logout", "auth.set_language"})
# Posting forms refuse a banned author themselves (forum.services.check_not_banned, also 403)
# and show the form again with the text typed, so nothing written is lost.
CHECKED_BY_THE_VIEW = frozenset({"forum.new_topic", "forum.reply", "forum.edit_post", "ask.post"})
BANNED_MESSAGE = _l(
    "Your account may not post in the community any more. If you think this is a "
    "mistake, please contact customer service."
)

_NOT_HERE = ALLOWED_WHILE_BANNED | CHECKED_BY_THE_VIEW


def is_banned(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.banned_at is not None)


def refuse_banned_writes():
    """before_request: 403 for any write by a banned account (the forum services check
    again when they post, so a direct call cannot skip it either)."""
    if request.method not in WRITE_METHODS or request.endpoint in _NOT_HERE:
        return None
    if not is_banned(current_user):
        return None
    from portal.errors import respond

    return respond(403, str(BANNED_MESSAGE))


def init_app(app: Flask) -> None:
    app.before_request(refuse_banned_writes)

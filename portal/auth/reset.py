"""Password reset by e-mailed link: a signed, expiring token that works once.

The token is an itsdangerous timed signature (app SECRET_KEY, its own salt) over the user id
and a fingerprint of the current password hash and e-mail. Setting a new password changes
the hash (Argon2 salts every hash), so a used token - or any token issued before the last
password change - no longer matches: single use without a table of spent tokens."""

import calendar
import hashlib
from collections.abc import Callable
from functools import cache

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadData, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from portal.auth import lockout
from portal.auth.errors import AccountError
from portal.auth.passwords import check_password_rules
from portal.auth.services import find_user, normalize_email
from portal.clock import now
from portal.extensions import db
from portal.models import User
from portal.notify.services import queue_mail

SALT = "portal.auth.password-reset"


class ResetTokenError(AccountError):
    """The link cannot be used; ``reason`` is "expired", "used" or "invalid"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class ClockSigner(TimestampSigner):
    """Timestamps from portal.clock, so tests (and the expiry) follow the app's clock."""

    def get_timestamp(self) -> int:
        return calendar.timegm(now().timetuple())


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT, signer=ClockSigner)


def max_age() -> int:
    return int(current_app.config["PASSWORD_RESET_MAX_AGE"])


def password_fingerprint(user: User) -> str:
    """Changes whenever the password (or e-mail) changes; reveals nothing about the hash."""
    material = f"{user.password_hash}\x00{user.email}".encode()
    return hashlib.sha256(material).hexdigest()[:20]


def make_token(user: User) -> str:
    return _serializer().dumps({"user": user.id, "fp": password_fingerprint(user)})


def user_for_token(token: str) -> User:
    """The active user the token was issued to, or ResetTokenError saying why not."""
    try:
        payload = _serializer().loads(token, max_age=max_age())
    except SignatureExpired:
        raise ResetTokenError("expired") from None
    except BadData:  # bad signature, bad encoding, wrong salt or key
        raise ResetTokenError("invalid") from None
    user_id = payload.get("user") if isinstance(payload, dict) else None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.active:
        raise ResetTokenError("invalid")
    if payload.get("fp") != password_fingerprint(user):
        raise ResetTokenError("used")
    return user


@cache
def _decoy_user() -> User:
    # Never added to the session: gives the no-account path a token to derive, like a real one.
    return User(id=0, email="", password_hash="", locale="zh_CN")


def send_reset_mail(email: str, link_for: Callable[[str], str]) -> bool:
    """Queue the reset mail when ``email`` belongs to an active account, else a short notice
    that no active account uses the address; commits.

    Both paths do the same work (derive a token, write a mail, commit), so the time the
    answer takes tells nothing about whether the account exists (step 10, finding 9).
    ``link_for(token)`` builds the absolute URL (the view passes links.absolute_url_for, built
    from PORTAL_BASE_URL: never from the request's Host header).
    The return value is for tests and logs only: the page must look the same either way."""
    user = find_user(email)
    account = user if user is not None and user.active else None
    token = make_token(account or _decoy_user())
    if account is not None:
        to, (subject, body) = account.email, reset_mail(account, link_for(token))
    else:
        to, (subject, body) = normalize_email(email), no_account_mail(email)
    queue_mail(to, subject, body)
    db.session.commit()
    return account is not None


def reset_mail(user: User, link: str) -> tuple[str, str]:
    """(subject, body) of the mail with the reset link, in the user's language."""
    minutes = max_age() // 60
    with force_locale(user.locale):
        subject = _("Reset your password")
        body = "\n\n".join(
            [
                _(
                    "Someone (hopefully you) asked to reset the password of %(email)s.",
                    email=user.email,
                ),
                _(
                    "Open this link to choose a new password; it works once, for %(n)d minutes:",
                    n=minutes,
                )
                + "\n"
                + link,
                _("If you did not ask for this, ignore this mail: your password stays as it is."),
            ]
        )
    return subject, body


def no_account_mail(email: str) -> tuple[str, str]:
    """(subject, body) for a reset asked for an address without an active account."""
    subject = _("Password reset requested")
    body = "\n\n".join(
        [
            _(
                "Someone (hopefully you) asked to reset the password of %(email)s, but no active "
                "account uses this address.",
                email=normalize_email(email),
            ),
            _("If you did not ask for this, ignore this mail."),
        ]
    )
    return subject, body


def reset_password(user: User, new_password: str) -> None:
    """Set the new password, lift any login lock and make older reset links useless."""
    check_password_rules(new_password, user.email, user.display_name)
    user.set_password(new_password)
    user.password_changed_at = now()
    lockout.clear(user)
    db.session.commit()

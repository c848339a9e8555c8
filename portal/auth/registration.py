"""Registration confirmed by mail, with one answer whatever the address.

The register form used to say "an account with this e-mail address already exists", which
told anyone which addresses have accounts (step 10, finding 9). Now a valid form always gets
the same "check your mail" page after the same work (password rules, an Argon2 hash, a
signed token, a mail, a commit): a new address is mailed a link that creates the account,
and the owner of a known address is mailed a note instead. The link carries the e-mail, name
and password hash, signed with SECRET_KEY (salted for this purpose) and timed."""

from collections.abc import Callable

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer

from portal.auth.errors import AccountError
from portal.auth.passwords import check_password_rules
from portal.auth.reset import ClockSigner
from portal.auth.services import EMAIL_RE, create_user, find_user, normalize_email
from portal.extensions import db
from portal.models import User
from portal.models.user import hash_password
from portal.notify.services import queue_mail

SALT = "portal.auth.register"
MAX_AGE = 24 * 3600  # seconds a confirmation link works


class RegistrationLinkError(AccountError):
    """The confirmation link cannot be used; ``reason`` is "expired", "used" or "invalid"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT, signer=ClockSigner)


def start_registration(
    email: str, password: str, display_name: str, link_for: Callable[[str], str]
) -> bool:
    """Check the form's values, then mail a confirmation link (new address) or a note to
    the owner (known address); commits. Raises AccountError for values the rules refuse,
    which does not depend on whether the address has an account.

    The return value (True: new address) is for tests and logs only."""
    email = normalize_email(email)
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise AccountError(_l("Please enter a valid e-mail address."), field="email")
    check_password_rules(password, email, display_name)
    name = (display_name or "").strip()[:80]
    token = _serializer().dumps({"email": email, "name": name, "hash": hash_password(password)})
    owner = find_user(email)
    if owner is None:
        subject, body = _confirm_mail(email, link_for(token))
    else:
        subject, body = _already_registered_mail(owner)
    queue_mail(email, subject, body)
    db.session.commit()
    return owner is None


def finish_registration(token: str) -> User:
    """The account the link asks for, created now; RegistrationLinkError says why not."""
    try:
        payload = _serializer().loads(token, max_age=MAX_AGE)
    except SignatureExpired:
        raise RegistrationLinkError("expired") from None
    except BadData:
        raise RegistrationLinkError("invalid") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("hash"), str):
        raise RegistrationLinkError("invalid")
    if find_user(payload.get("email", "")) is not None:
        raise RegistrationLinkError("used")
    return create_user(
        payload["email"],
        "",
        payload.get("name", ""),
        check_strength=False,
        password_hash=payload["hash"],
    )


def _confirm_mail(email: str, link: str) -> tuple[str, str]:
    subject = _("Confirm your new account")
    body = "\n\n".join(
        [
            _("Someone (hopefully you) asked to open an account with %(email)s.", email=email),
            _("Open this link within a day to finish; it logs you in:") + "\n" + link,
            _("If you did not ask for this, ignore this mail: no account is made."),
        ]
    )
    return subject, body


def _already_registered_mail(owner: User) -> tuple[str, str]:
    with force_locale(owner.locale):
        subject = _("You already have an account")
        body = "\n\n".join(
            [
                _(
                    "Someone (hopefully you) asked to open an account with %(email)s, which "
                    "already has one. Nothing was changed.",
                    email=owner.email,
                ),
                _("To get in, log in, or use “Forgot your password?” on the login page."),
            ]
        )
    return subject, body

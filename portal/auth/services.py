"""Account logic, free of requests so it can be tested and used from the CLI."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from portal.auth import lockout
from portal.auth.emails import EMAIL_RE, normalize_email
from portal.auth.errors import AccountError
from portal.auth.passwords import (  # noqa: F401 (re-exported: CLI, demo data, tests)
    MIN_PASSWORD_LENGTH,
    check_password_rules,
    generate_password,
)
from portal.clock import now
from portal.extensions import db
from portal.models import ROLES, User


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def create_user(
    email: str,
    password: str,
    display_name: str = "",
    role: str = "customer",
    locale: str = "zh_CN",
    check_strength: bool = True,
    password_hash: str | None = None,
) -> User:
    """A new account. ``check_strength=False`` is for test factories only, whose fixed
    password ("password123") is deliberately one the rules refuse, and for a confirmed
    registration, whose password was checked and hashed (``password_hash``) at the form."""
    email = normalize_email(email)
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise AccountError(_l("Please enter a valid e-mail address."))
    if role not in ROLES:
        raise AccountError(_l("Unknown role."))
    if find_user(email) is not None:
        raise AccountError(_l("An account with this e-mail address already exists."))
    if check_strength:
        check_password_rules(password, email, display_name)
    user = User(
        email=email,
        display_name=(display_name or email.split("@")[0]).strip()[:80],
        role=role,
        locale=locale,
    )
    if password_hash is not None:
        user.password_hash = password_hash
    else:
        user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def authenticate(email: str, password: str, client: str = "") -> User | None:
    """The user if the e-mail and password match an active account that ``client`` (the
    caller's IP address) is not locked out of, else None.

    Every refusal costs one Argon2 verify and looks the same to the caller, whether the
    e-mail is unknown, the client locked out (see lockout) or the account disabled, or the
    password wrong."""
    if lockout.locked_until(email, client) is not None:
        lockout.spend_verify_time(password)
        return None
    user = find_user(email)
    if user is None:
        lockout.spend_verify_time(password)
        lockout.record_failure(email, client)  # counted like an account: no tell
        return None
    if not user.check_password(password):
        lockout.record_failure(email, client, user)
        return None
    if not user.active:
        return None
    lockout.clear(user, client)
    if user.password_needs_rehash():  # parameters raised since; signs out other sessions once
        user.set_password(password)
    user.last_login_at = now()
    db.session.commit()
    return user


def end_sessions(user: User) -> None:
    """Make every session and remember-me cookie of ``user`` invalid (logout): copies of
    them no longer match User.session_marker(); commits. Counted up by the database, so two
    logouts at once both take effect."""
    db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(session_generation=User.session_generation + 1)
    )
    db.session.commit()


def change_password(user: User, current: str, new: str) -> None:
    if not user.check_password(current):
        raise AccountError(_l("The current password is not correct."), field="current")
    check_password_rules(new, user.email, user.display_name)
    user.set_password(new)
    user.password_changed_at = now()
    db.session.commit()


def update_profile(user: User, display_name: str, locale: str) -> None:
    user.display_name = display_name.strip()[:80] or user.display_name
    user.locale = locale
    db.session.commit()


def active_admin_count() -> int:
    return db.session.scalar(
        select(func.count()).select_from(User).where(User.role == "admin", User.active.is_(True))
    )


def set_role(user: User, role: str, acting: User) -> None:
    if role not in ROLES:
        raise AccountError(_l("Unknown role."))
    if user.role == "admin" and role != "admin" and active_admin_count() <= 1:
        raise AccountError(_l("The last administrator cannot lose the admin role."))
    if user.id == acting.id and role != "admin":
        raise AccountError(_l("You cannot remove your own admin role."))
    user.role = role
    db.session.commit()


def set_active(user: User, active: bool, acting: User) -> None:
    if user.id == acting.id and not active:
        raise AccountError(_l("You cannot disable your own account."))
    user.active = active
    db.session.commit()

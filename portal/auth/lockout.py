"""Login back-off per (e-mail, client IP), kept in the database so every worker sees it.

The rule, for each client address trying one account: the first FREE_FAILURES - 1
consecutive failures cost nothing; the FREE_FAILURES-th (5th) locks that address out of the
account for FIRST_LOCK (1 minute), and each further failure doubles the lock, up to MAX_LOCK
(15 minutes): 1, 2, 4, 8, 15, 15, ... minutes. While locked, an attempt from that address is
refused without looking at the password (so guessing cannot go on) and is not counted. A
successful login clears that address's count; a password reset clears them all.

Per address, not per account: otherwise anyone who knows an e-mail could keep its owner
locked out by guessing (step-10 finding 12). Guessing from many addresses is slowed by the
per-IP rate limits (portal/security/limits.py) and by the password rules.

Refusals never tell whether the e-mail exists: an unknown e-mail is counted and locked
exactly like an account (the count is keyed by a keyed hash of the e-mail, not by the
account), so the login page can tell a locked-out person how long to wait without telling
anyone which e-mails have accounts; unknown e-mails and locked ones spend the time of one
Argon2 verify, like a real check."""

import hashlib
import hmac
import math
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from portal.auth.emails import normalize_email
from portal.clock import now
from portal.extensions import db
from portal.models import LoginLock, User

FREE_FAILURES = 5
FIRST_LOCK = timedelta(minutes=1)
MAX_LOCK = timedelta(minutes=15)
STALE_AFTER = timedelta(days=1)  # a count untouched this long is forgotten (purge_stale)


def lock_duration(failures: int) -> timedelta:
    """How long the account stays locked after its ``failures``-th consecutive failure."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    # Cap the exponent first: a counter in the thousands must not build a huge integer.
    doublings = min(failures - FREE_FAILURES, 10)
    return min(FIRST_LOCK * 2**doublings, MAX_LOCK)


def email_key(email: str) -> str:
    """The key failures are counted under: a keyed hash of the normalised e-mail, the same
    whether or not an account has it (and no e-mail typed at the login form is stored)."""
    return hmac.new(
        current_app.config["SECRET_KEY"].encode(), normalize_email(email).encode(), hashlib.sha256
    ).hexdigest()


def _lock(email: str, client: str) -> LoginLock | None:
    return db.session.scalar(
        select(LoginLock).where(LoginLock.email_key == email_key(email), LoginLock.client == client)
    )


def locked_until(email: str, client: str, at: datetime | None = None) -> datetime | None:
    """When the lock of ``client`` on this e-mail ends, or None when it is not locked now."""
    lock = _lock(email, client)
    at = at or now()
    if lock is not None and lock.locked_until is not None and lock.locked_until > at:
        return lock.locked_until
    return None


def refusal_message(email: str, client: str) -> str:
    """What the login page says to a refused sign-in: how long to wait when this client is
    locked out of this e-mail (said alike for e-mails with and without an account), else
    one message for a wrong password, an unknown e-mail and a disabled account."""
    until = locked_until(email, client)
    if until is None:
        return _(
            "The e-mail or password is not correct, or the account is disabled. Try "
            "again, or reset your password."
        )
    minutes = max(1, math.ceil((until - now()).total_seconds() / 60))
    return ngettext(
        "Too many failed sign-ins with this e-mail from your network. Try again "
        "in %(num)d minute, or reset your password.",
        "Too many failed sign-ins with this e-mail from your network. Try again "
        "in %(num)d minutes, or reset your password.",
        minutes,
    )


def current_locks(user: User, at: datetime | None = None) -> list[LoginLock]:
    """The locks in force on this account now, longest first (the admin users list)."""
    return list(
        db.session.scalars(
            select(LoginLock)
            .where(LoginLock.user_id == user.id, LoginLock.locked_until > (at or now()))
            .order_by(LoginLock.locked_until.desc())
        )
    )


def record_failure(email: str, client: str, user: User | None = None) -> None:
    """Count a wrong password (or an unknown e-mail) from ``client`` and lock it out when
    the rule says so; commits. ``user`` is the account of that e-mail, if any (the admin
    users list shows its locks).

    The increment is done by the database (failures + 1), so two workers handling
    simultaneous guesses cannot both write the same count."""
    key = email_key(email)
    if _lock(email, client) is None:
        try:
            with db.session.begin_nested():
                db.session.add(
                    LoginLock(
                        email_key=key,
                        user_id=user.id if user else None,
                        client=client,
                        failures=0,
                        updated_at=now(),
                    )
                )
        except IntegrityError:  # another worker added it first: count on that row
            pass
    db.session.execute(
        update(LoginLock)
        .where(LoginLock.email_key == key, LoginLock.client == client)
        .values(failures=LoginLock.failures + 1, updated_at=now())
    )
    lock = _lock(email, client)
    db.session.refresh(lock, ["failures"])
    duration = lock_duration(lock.failures)
    if duration:
        lock.locked_until = now() + duration
    db.session.commit()


def clear(user: User, client: str | None = None) -> None:
    """Forget past failures on this account's e-mail of ``client`` (after a success) or of
    every client (after a password reset, or an admin's unlock); the caller commits."""
    query = delete(LoginLock).where(
        or_(LoginLock.user_id == user.id, LoginLock.email_key == email_key(user.email))
    )
    if client is not None:
        query = query.where(LoginLock.client == client)
    db.session.execute(query)


def purge_stale(older_than: timedelta = STALE_AFTER) -> int:
    """Delete counts untouched for ``older_than`` whose lock is over (unknown e-mails are
    counted too, so the table would otherwise only grow); returns how many. A daily job."""
    result = db.session.execute(
        delete(LoginLock).where(
            LoginLock.updated_at < now() - older_than,
            or_(LoginLock.locked_until.is_(None), LoginLock.locked_until < now()),
        )
    )
    db.session.commit()
    return result.rowcount or 0


@cache
def _dummy_user() -> User:
    # A throwaway (never added) user, so the decoy check has exactly the cost of a real one.
    user = User(email="", display_name="")
    user.set_password("decoy password that no account has")
    return user


def spend_verify_time(password: str) -> None:
    """Run one Argon2 verify that can never succeed, to make refusals take equal time."""
    _dummy_user().check_password(password)

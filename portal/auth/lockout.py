"""Login back-off per account, kept in the users table so every worker sees the same state.

The rule: the first FREE_FAILURES - 1 consecutive failures cost nothing; the FREE_FAILURES-th
(5th) locks the account for FIRST_LOCK (1 minute), and each further failure doubles the lock,
up to MAX_LOCK (15 minutes): 1, 2, 4, 8, 15, 15, ... minutes. While locked, a login attempt is
refused without looking at the password (so guessing cannot go on) and is not counted. A
successful login or a password reset clears the counter and the lock.

Refusals never tell whether the e-mail exists: unknown e-mails and locked accounts spend the
time of one Argon2 verify, like a real check, and the view shows a single message."""

from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import update

from portal.clock import now
from portal.extensions import db
from portal.models import User

FREE_FAILURES = 5
FIRST_LOCK = timedelta(minutes=1)
MAX_LOCK = timedelta(minutes=15)


def lock_duration(failures: int) -> timedelta:
    """How long the account stays locked after its ``failures``-th consecutive failure."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    # Cap the exponent first: a counter in the thousands must not build a huge integer.
    doublings = min(failures - FREE_FAILURES, 10)
    return min(FIRST_LOCK * 2 ** doublings, MAX_LOCK)


def locked_until(user: User, at: datetime | None = None) -> datetime | None:
    """When the lock ends, or None when the account is not locked now."""
    at = at or now()
    if user.locked_until is not None and user.locked_until > at:
        return user.locked_until
    return None


def record_failure(user: User) -> None:
    """Count a wrong password and lock the account when the rule says so; commits.

    The increment is done by the database (failed_logins + 1), so two workers handling
    simultaneous guesses cannot both write the same count."""
    db.session.execute(
        update(User).where(User.id == user.id).values(failed_logins=User.failed_logins + 1)
    )
    db.session.refresh(user, ["failed_logins"])
    duration = lock_duration(user.failed_logins)
    if duration:
        user.locked_until = now() + duration
    db.session.commit()


def clear(user: User) -> None:
    """Forget past failures (after a success or a password reset); the caller commits."""
    user.failed_logins = 0
    user.locked_until = None


@cache
def _dummy_user() -> User:
    # A throwaway (never added) user, so the decoy check has exactly the cost of a real one.
    user = User(email="", display_name="")
    user.set_password("decoy password that no account has")
    return user


def spend_verify_time(password: str) -> None:
    """Run one Argon2 verify that can never succeed, to make refusals take equal time."""
    _dummy_user().check_password(password)

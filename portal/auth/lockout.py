"""Login back-off per (account, client IP), kept in the database so every worker sees it.

The rule, for each client address trying one account: the first FREE_FAILURES - 1
consecutive failures cost nothing; the FREE_FAILURES-th (5th) locks that address out of the
account for FIRST_LOCK (1 minute), and each further failure doubles the lock, up to MAX_LOCK
(15 minutes): 1, 2, 4, 8, 15, 15, ... minutes. While locked, an attempt from that address is
refused without looking at the password (so guessing cannot go on) and is not counted. A
successful login clears that address's count; a password reset clears them all.

Per address, not per account: otherwise anyone who knows an e-mail could keep its owner
locked out by guessing (step-10 finding 12). Guessing from many addresses is slowed by the
per-IP rate limits (portal/security/limits.py) and by the password rules.

Refusals never tell whether the e-mail exists: unknown e-mails and locked accounts spend the
time of one Argon2 verify, like a real check, and the view shows a single message."""

from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from portal.clock import now
from portal.extensions import db
from portal.models import LoginLock, User

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


def _lock(user: User, client: str) -> LoginLock | None:
    return db.session.scalar(select(LoginLock).where(LoginLock.user_id == user.id,
                                                     LoginLock.client == client))


def locked_until(user: User, client: str, at: datetime | None = None) -> datetime | None:
    """When the lock of ``client`` on this account ends, or None when it is not locked now."""
    lock = _lock(user, client)
    at = at or now()
    if lock is not None and lock.locked_until is not None and lock.locked_until > at:
        return lock.locked_until
    return None


def current_locks(user: User, at: datetime | None = None) -> list[LoginLock]:
    """The locks in force on this account now, longest first (the admin users list)."""
    return list(db.session.scalars(
        select(LoginLock).where(LoginLock.user_id == user.id,
                                LoginLock.locked_until > (at or now()))
        .order_by(LoginLock.locked_until.desc())))


def record_failure(user: User, client: str) -> None:
    """Count a wrong password from ``client`` and lock it out when the rule says so; commits.

    The increment is done by the database (failures + 1), so two workers handling
    simultaneous guesses cannot both write the same count."""
    if _lock(user, client) is None:
        try:
            with db.session.begin_nested():
                db.session.add(LoginLock(user_id=user.id, client=client, failures=0,
                                         updated_at=now()))
        except IntegrityError:  # another worker added it first: count on that row
            pass
    db.session.execute(
        update(LoginLock).where(LoginLock.user_id == user.id, LoginLock.client == client)
        .values(failures=LoginLock.failures + 1, updated_at=now())
    )
    lock = _lock(user, client)
    db.session.refresh(lock, ["failures"])
    duration = lock_duration(lock.failures)
    if duration:
        lock.locked_until = now() + duration
    db.session.commit()


def clear(user: User, client: str | None = None) -> None:
    """Forget past failures of ``client`` (after a success) or of every client (after a
    password reset); the caller commits."""
    query = delete(LoginLock).where(LoginLock.user_id == user.id)
    if client is not None:
        query = query.where(LoginLock.client == client)
    db.session.execute(query)


@cache
def _dummy_user() -> User:
    # A throwaway (never added) user, so the decoy check has exactly the cost of a real one.
    user = User(email="", display_name="")
    user.set_password("decoy password that no account has")
    return user


def spend_verify_time(password: str) -> None:
    """Run one Argon2 verify that can never succeed, to make refusals take equal time."""
    _dummy_user().check_password(password)

"""A database lease so only one router sweep runs at a time, in any process on any host."""

import os
import socket
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from portal.clock import now
from portal.extensions import db
from portal.models import JobLease

EPOCH = datetime(1970, 1, 1)


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def acquire(name: str, ttl: timedelta, holder: str | None = None) -> bool:
    """Take the lease if it is free or expired (an atomic compare-and-set)."""
    holder = holder or holder_name()
    if db.session.get(JobLease, name) is None:
        try:
            db.session.add(JobLease(name=name, holder="", held_until=EPOCH))
            db.session.commit()
        except IntegrityError:  # another process created it first
            db.session.rollback()
    current = now()
    result = db.session.execute(
        update(JobLease)
        .where(JobLease.name == name, JobLease.held_until < current)
        .values(holder=holder, held_until=current + ttl)
    )
    db.session.commit()
    return result.rowcount == 1


def release(name: str, holder: str | None = None) -> None:
    db.session.execute(
        update(JobLease)
        .where(JobLease.name == name, JobLease.holder == (holder or holder_name()))
        .values(held_until=EPOCH)
    )
    db.session.commit()


@contextmanager
def lease(name: str, ttl: timedelta):
    """Yields True when this process holds the lease for the block, False when another does."""
    holder = holder_name()
    got = acquire(name, ttl, holder)
    try:
        yield got
    finally:
        if got:
            db.session.rollback()
            release(name, holder)

"""A database lease so only one process runs a given job at a time, on any host.

Everywhere: a row in job_leases taken by compare-and-set, held until a TTL. On PostgreSQL
also a session advisory lock for the length of the block, so two hosts never overlap even
when a run outlives its TTL; the server drops it if the holder's connection dies.

A lease is re-entrant within one thread: the schedule takes "router-sweep" around sweep(),
which takes it again itself because `flask experts sweep` calls it alone."""

import hashlib
import os
import socket
import threading
from contextlib import contextmanager, nullcontext
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from portal.clock import now
from portal.extensions import db
from portal.models import JobLease

EPOCH = datetime(1970, 1, 1)
_held = threading.local()  # the lease names this thread holds now


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


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for pg_try_advisory_lock (Python's hash() is salted)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def advisory_lock(name: str):
    """PostgreSQL: yields whether this process got the session advisory lock ``name``."""
    with db.engine.connect() as connection:
        key = advisory_key(name)
        got = connection.execute(select(func.pg_try_advisory_lock(key))).scalar()
        try:
            yield bool(got)
        finally:
            if got:
                connection.execute(select(func.pg_advisory_unlock(key)))
            connection.rollback()


@contextmanager
def lease(name: str, ttl: timedelta):
    """Yields True when this process holds the lease for the block, False when another does."""
    held = _held.__dict__.setdefault("names", set())
    if name in held:  # taken further out in this thread: that block releases it
        yield True
        return
    holder = holder_name()
    on_postgres = db.engine.dialect.name == "postgresql"
    with advisory_lock(name) if on_postgres else nullcontext(True) as locked:
        got = locked and acquire(name, ttl, holder)
        if got:
            held.add(name)
        try:
            yield got
        finally:
            if got:
                held.discard(name)
                db.session.rollback()
                release(name, holder)

"""The knowledge base's structure (categories and translation links), cached per process
and checked against one version in the database on every use.

The search pages read the category tree and the translation groups on every request;
reading them from the database cost more than a tenth of a search's CPU. Any flush that
adds, changes or deletes a category, or links, unlinks, re-languages or deletes an
article, writes a new ``kb_structure_version`` in the same transaction (a before_flush
hook, so no write path can forget it). A process compares that version with the one its
copy was built at, once per request (one primary-key SELECT), and rebuilds on a change:
an edit in one worker is seen by the next request in every worker."""

import secrets
from collections.abc import Callable, Hashable
from typing import Any

from flask import current_app, has_request_context, request
from sqlalchemy import bindparam, event, inspect, select
from sqlalchemy.orm import Session

from portal.models import Article, Category, Setting

VERSION_SETTING = "kb_structure_version"
_ENVIRON_KEY = "portal.kb_structure_version"  # the version read for this request
# Article columns whose change moves an article between translation groups.
_GROUP_COLUMNS = ("translation_of_id", "language")
_SETTINGS = Setting.__table__
_READ_VERSION = select(_SETTINGS.c.value).where(_SETTINGS.c.name == bindparam("name"))


def current_version(session) -> str:
    """The stored version ('' before the first change), read once per request."""
    if has_request_context():
        memo = request.environ.get(_ENVIRON_KEY)
        if memo is not None:
            return memo
    version = session.scalar(_READ_VERSION, {"name": VERSION_SETTING}) or ""
    if has_request_context():
        request.environ[_ENVIRON_KEY] = version
    return version


def cached(name: Hashable, build: Callable[[], Any], depends_on: object = None) -> Any:
    """This app's value ``name``, built by ``build()`` when missing, built at another
    version of the structure, or built from another ``depends_on`` object (a value it was
    made from that is cached elsewhere, compared by identity)."""
    from portal.extensions import db

    store = current_app.extensions.setdefault("kb_structure", {})
    version = current_version(db.session)  # read before building: a change meanwhile rebuilds
    entry = store.get(name)
    if entry is not None and entry[0] == version and entry[1] is depends_on:
        return entry[2]
    value = build()
    store[name] = (version, depends_on, value)
    return value


def _changes_structure(session: Session) -> bool:
    for obj in session.new:
        if isinstance(obj, Category):
            return True
        # A new original changes no cached group; a new translation joins one.
        if isinstance(obj, Article) and obj.translation_of_id is not None:
            return True
    for obj in session.deleted:
        if isinstance(obj, Category | Article):
            return True
    for obj in session.dirty:
        if isinstance(obj, Category) and session.is_modified(obj):
            return True
        if isinstance(obj, Article):
            state = inspect(obj)
            if any(state.attrs[name].history.has_changes() for name in _GROUP_COLUMNS):
                return True
    return False


def _bump_on_change(session: Session, _flush_context, _instances) -> None:
    if not _changes_structure(session):
        return
    with session.no_autoflush:
        setting = session.get(Setting, VERSION_SETTING)
    token = secrets.token_hex(8)
    if setting is None:
        session.add(Setting(name=VERSION_SETTING, value=token))
    else:
        setting.value = token
    if has_request_context():
        request.environ.pop(_ENVIRON_KEY, None)  # this request reads the new one


def install() -> None:
    """Watch every session's flushes (idempotent)."""
    if not event.contains(Session, "before_flush", _bump_on_change):
        event.listen(Session, "before_flush", _bump_on_change)

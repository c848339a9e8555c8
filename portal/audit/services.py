"""Writing and querying audit entries.

``record()`` only adds the entry to the current session: the caller's own commit writes it
with the change, and a rollback drops both. Values are stored as JSON, with long text kept
as a digest (see ``plain``) so the log stays small however large an article body is."""

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import Select, func, select

from portal.clock import now
from portal.extensions import db
from portal.inputs import parse_day
from portal.models import AuditEntry, User
from portal.models._time import naive_utc

# Text up to this length is stored whole: every short field we audit fits (titles 200,
# summaries, keywords and flag reasons 500). Longer text — article bodies, release notes —
# is already kept whole elsewhere (ArticleRevision, the file row), so the log keeps its
# length, a SHA-256 that shows whether it changed, and the first characters for context.
TEXT_INLINE_MAX = 500
TEXT_HEAD_CHARS = 200
LIST_MAX_ITEMS = 100
# A last guard for the whole document (one entry per action, never pruned).
JSON_MAX_CHARS = 20_000
CLI_ACTOR = "cli"
PER_PAGE = 50


def current_actor() -> User | None:
    """The logged-in user of the current request; None outside a request (CLI, scripts)."""
    if not has_request_context() or not current_user.is_authenticated:
        return None
    return current_user._get_current_object()


def _actor(actor: User | int | None) -> tuple[int | None, str]:
    if isinstance(actor, int):
        actor = db.session.get(User, actor)
        if actor is None:  # an id that names nobody: keep the entry, say so
            return None, ""
    if actor is None:
        return None, CLI_ACTOR
    return actor.id, actor.email


def record(
    actor: User | int | None,
    action: str,
    target_type: str,
    target_id,
    summary: str,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEntry:
    """Add an audit entry to the session; the caller's commit writes it with the change.

    ``actor`` is a user, a user id, or None for a command-line action (shown as "cli").
    ``before``/``after`` are plain dicts (see ``snapshot``); None means the object did not
    exist before (a create) or does not exist after (a delete)."""
    actor_id, actor_email = _actor(actor)
    entry = AuditEntry(
        created_at=now(),
        actor_id=actor_id,
        actor_email=actor_email,
        action=action[:60],
        target_type=target_type[:40],
        target_id="" if target_id is None else str(target_id)[:64],
        summary=" ".join((summary or "").split())[:255],
        before_json=encode(before),
        after_json=encode(after),
    )
    db.session.add(entry)
    return entry


def snapshot(obj, fields) -> dict:
    """``{field: getattr(obj, field)}`` for the named attributes (properties work too)."""
    return {name: getattr(obj, name) for name in fields}


# -- JSON -----------------------------------------------------------------------------------


def digest(text: str) -> dict:
    """What is kept of a long text: its length, hash and beginning."""
    return {
        "chars": len(text),
        "sha256": hashlib.sha256(text.encode()).hexdigest(),
        "head": text[:TEXT_HEAD_CHARS],
    }


def is_digest(value) -> bool:
    return isinstance(value, dict) and set(value) == {"chars", "sha256", "head"}


def plain(value):
    """``value`` as JSON-ready data, long text digested and long lists cut."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value if len(value) <= TEXT_INLINE_MAX else digest(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else list(value)
        kept = [plain(item) for item in items[:LIST_MAX_ITEMS]]
        if len(items) > LIST_MAX_ITEMS:
            kept.append(f"… +{len(items) - LIST_MAX_ITEMS}")
        return kept
    return plain(str(value))


def encode(data: dict | None) -> str:
    """JSON text for a before/after column ("" for None)."""
    if data is None:
        return ""
    text = json.dumps(plain(data), ensure_ascii=False, sort_keys=True)
    if len(text) > JSON_MAX_CHARS:
        text = json.dumps({"truncated": digest(text)}, ensure_ascii=False, sort_keys=True)
    return text


def decode(text: str) -> dict | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return {"unreadable": text[:TEXT_HEAD_CHARS]}
    return value if isinstance(value, dict) else {"value": value}


@dataclass(frozen=True)
class FieldChange:
    name: str
    before: object
    after: object


def changes(entry: AuditEntry) -> list[FieldChange]:
    """The fields to show side by side: those that differ, or every field of a create or
    delete (one side missing)."""
    before, after = decode(entry.before_json), decode(entry.after_json)
    if before is None and after is None:
        return []
    names = sorted(set(before or {}) | set(after or {}))
    rows = [FieldChange(name, (before or {}).get(name), (after or {}).get(name)) for name in names]
    if before is not None and after is not None:
        rows = [row for row in rows if row.before != row.after]
    return rows


# -- queries --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""  # part of the actor's e-mail
    action: str = ""
    target_type: str = ""
    start: date | None = None  # local dates, both inclusive
    end: date | None = None


class FilterError(ValueError):
    """A filter the admin must correct; the message says how."""


def _local_midnight_utc(day: date, zone: tzinfo) -> datetime:
    local = datetime.combine(day, time.min, tzinfo=zone)
    return naive_utc(local)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def entries_query(filters: AuditFilter, zone: tzinfo) -> Select:
    """Entries matching ``filters``, newest first; dates are days in ``zone``."""
    query = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    if filters.actor:
        pattern = f"%{_like_escape(filters.actor.lower())}%"
        query = query.where(func.lower(AuditEntry.actor_email).like(pattern, escape="\\"))
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    if filters.target_type:
        query = query.where(AuditEntry.target_type == filters.target_type)
    if filters.start:
        query = query.where(AuditEntry.created_at >= _local_midnight_utc(filters.start, zone))
    if filters.end:
        end = _local_midnight_utc(filters.end + timedelta(days=1), zone)
        query = query.where(AuditEntry.created_at < end)
    return query


def parse_filters(args) -> AuditFilter:
    """Filters from query-string arguments; FilterError for a date that is not a date."""
    dates = {}
    for name in ("start", "end"):
        raw = (args.get(name) or "").strip()
        try:
            dates[name] = parse_day(raw) if raw else None
        except ValueError:
            raise FilterError(f"{name}={raw[:20]}") from None
    if dates["start"] and dates["end"] and dates["start"] > dates["end"]:
        raise FilterError(f"{dates['start']} > {dates['end']}")
    return AuditFilter(
        actor=(args.get("actor") or "").strip()[:100],
        action=(args.get("action") or "").strip()[:60],
        target_type=(args.get("target_type") or "").strip()[:40],
        **dates,
    )


def known_values(column) -> list[str]:
    """Distinct values of an AuditEntry column, for the filter menus."""
    return sorted(value for value in db.session.scalars(select(column).distinct()) if value)

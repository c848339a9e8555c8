"""Expert profiles: what an expert knows, whether they are on duty, how much they can take."""

from dataclasses import dataclass
from datetime import timedelta
from statistics import median

from sqlalchemy import select

from portal.audit.services import record, snapshot
from portal.clock import now
from portal.editor.services import clean_tags
from portal.extensions import db
from portal.models import Assignment, Category, ExpertProfile, RoutingEvent, Tag, Topic, User


def profile_for(user: User) -> ExpertProfile:
    """The user's expert profile, created on first use."""
    profile = db.session.scalar(select(ExpertProfile).where(ExpertProfile.user_id == user.id))
    if profile is None:
        profile = ExpertProfile(user_id=user.id)
        db.session.add(profile)
        db.session.flush()
    return profile


PROFILE_FIELDS = ("keywords", "on_duty", "max_open")


def _audit_snapshot(profile: ExpertProfile) -> dict:
    return {
        **snapshot(profile, PROFILE_FIELDS),
        "categories": sorted(c.slug for c in profile.categories),
        "tags": sorted(t.name for t in profile.tags),
    }


def update_profile(
    profile: ExpertProfile,
    *,
    category_ids: list[int],
    tags: list[str],
    keywords: str,
    on_duty: bool,
    max_open: int,
    actor: User | None = None,
) -> None:
    """Save what the expert knows and can take. ``actor`` is given when someone else (an
    admin) edits the profile: that edit goes to the audit log; an expert's own does not."""
    before = _audit_snapshot(profile) if actor is not None else None
    profile.categories = list(
        db.session.scalars(select(Category).where(Category.id.in_(category_ids or [-1])))
    )
    names = clean_tags(tags)
    found = db.session.scalars(select(Tag).where(Tag.name.in_(names or [""])))
    existing = {t.name: t for t in found}
    profile.tags = [existing.get(name) or Tag(name=name) for name in names]
    profile.keywords = (keywords or "").strip()[:500]
    profile.on_duty = on_duty
    profile.max_open = max(0, min(int(max_open), 100))
    if actor is not None:
        record(
            actor,
            "expert_profile.update",
            "expert_profile",
            profile.user_id,
            profile.user.email if profile.user else "",
            before,
            _audit_snapshot(profile),
        )
    db.session.commit()


@dataclass
class QueueStats:
    answered: int
    median_response: timedelta | None
    within_due: float | None  # share of answered assignments answered before their due time


# ?sort= of the queue pages: by time left, least first (overdue on top) or most first.
QUEUE_SORTS = {
    "time_left": (Assignment.due_at.asc(), Assignment.id.asc()),
    "-time_left": (Assignment.due_at.desc(), Assignment.id.desc()),
}


def my_open_assignments(expert_id: int, sort: str = "time_left") -> list[Assignment]:
    """Open assignments, by time left (QUEUE_SORTS; default: overdue first)."""
    return list(
        db.session.scalars(
            select(Assignment)
            .where(Assignment.expert_id == expert_id, Assignment.state == "open")
            .order_by(*QUEUE_SORTS[sort])
        )
    )


def recently_answered(expert_id: int, days: int = 30) -> list[Assignment]:
    since = now() - timedelta(days=days)
    return list(
        db.session.scalars(
            select(Assignment)
            .where(
                Assignment.expert_id == expert_id,
                Assignment.state == "answered",
                Assignment.closed_at >= since,
            )
            .order_by(Assignment.closed_at.desc())
        )
    )


def queue_stats(answered: list[Assignment]) -> QueueStats:
    times = [a.closed_at - a.assigned_at for a in answered if a.closed_at]
    on_time = [a for a in answered if a.closed_at and a.closed_at <= a.due_at]
    return QueueStats(
        answered=len(answered),
        median_response=median(times) if times else None,
        within_due=len(on_time) / len(answered) if answered else None,
    )


def all_open_assignments(sort: str | None = None) -> list[Assignment]:
    """Every open assignment: grouped by expert, or by time left when ``sort`` is given."""
    order = QUEUE_SORTS[sort] if sort else (Assignment.expert_id, Assignment.due_at)
    return list(
        db.session.scalars(select(Assignment).where(Assignment.state == "open").order_by(*order))
    )


def routing_history(limit: int = 30) -> list[RoutingEvent]:
    """The latest routing events, newest first."""
    return list(
        db.session.scalars(
            select(RoutingEvent)
            .order_by(RoutingEvent.created_at.desc(), RoutingEvent.id.desc())
            .limit(limit)
        )
    )


def unrouted_topics() -> list[Topic]:
    return list(
        db.session.scalars(
            select(Topic)
            .where(
                Topic.routing_state == "unrouted",
                Topic.accepted_post_id.is_(None),
                Topic.hidden.is_(False),
                Topic.deleted_at.is_(None),
            )
            .order_by(Topic.created_at)
        )
    )


def active_experts() -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.role == "expert", User.active.is_(True))
            .order_by(User.display_name)
        )
    )

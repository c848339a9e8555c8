"""Routing questions that nobody answered to the best available expert.

A question needs an expert when no expert reply or accepted answer arrived within its
category's first-response target, or at once when the asker asked for one. The router scores
on-duty experts with spare capacity by topic match (category, tags, jieba keywords), then
prefers the least loaded, then whoever waited longest since their last assignment (so ties
rotate). Overdue assignments escalate to the next expert and editors are told. When nobody
fits, the question waits in the "unrouted" queue that editors see. Every step is a
RoutingEvent."""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app, url_for
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.clock import now
from portal.extensions import db
from portal.models import Assignment, ExpertProfile, RoutingEvent, Topic, User
from portal.notify.services import notify
from portal.roles import EDITOR_ROLES
from search.analyzer import tokenize

logger = logging.getLogger(__name__)
SWEEP_LEASE_NAME, SWEEP_LEASE = "router-sweep", timedelta(minutes=5)
CATEGORY_WEIGHT, TAG_WEIGHT, KEYWORD_WEIGHT = 3.0, 2.0, 1.0


@dataclass
class SweepReport:
    ran: bool = True
    assigned: int = 0
    escalated: int = 0
    unrouted: int = 0
    topics: list[int] = field(default_factory=list)


def first_response_target(topic: Topic) -> timedelta:
    """The nearest category (walking up the tree) with a target wins; else the default."""
    node = topic.category
    seen = set()
    while node is not None and node.id not in seen:
        if node.first_response_hours:
            return timedelta(hours=node.first_response_hours)
        seen.add(node.id)
        node = node.parent
    return timedelta(hours=current_app.config["FORUM_FIRST_RESPONSE_HOURS"])


def needs_expert(topic: Topic, at: datetime) -> bool:
    if not topic.is_question or not topic.visible or topic.solved or topic.locked:
        return False
    if topic.first_response_at is not None:
        return False
    return topic.wants_expert or topic.created_at + first_response_target(topic) <= at


def _open_loads() -> dict[int, int]:
    rows = db.session.execute(
        select(Assignment.expert_id, func.count())
        .where(Assignment.state == "open")
        .group_by(Assignment.expert_id)
    )
    return dict(rows.all())


def match_score(profile: ExpertProfile, topic: Topic, topic_tokens: set[str]) -> float:
    """How well an expert's expertise covers the question (0 = not at all)."""
    score = 0.0
    if topic.category is not None:
        lineage = {c.id for c in topic.category.ancestors()} | {topic.category.id}
        if lineage & {c.id for c in profile.categories}:
            score += CATEGORY_WEIGHT
    score += TAG_WEIGHT * len({t.id for t in topic.tags} & {t.id for t in profile.tags})
    keywords = set(tokenize(profile.keywords or "", mode="index"))
    score += KEYWORD_WEIGHT * len(keywords & topic_tokens)
    return score


def _topic_tokens(topic: Topic) -> set[str]:
    question = next((p for p in topic.posts if p.is_question), None)
    text = f"{topic.title} {question.body_md if question else ''}"
    return set(tokenize(text, mode="index"))


def rank_experts(topic: Topic, exclude: set[int]) -> list[tuple[float, ExpertProfile]]:
    """Candidates best first: (match score, profile). Only on-duty, active experts with spare
    capacity, never the asker, never someone in ``exclude``."""
    loads = _open_loads()
    tokens = _topic_tokens(topic)
    candidates = []
    profiles = db.session.scalars(
        select(ExpertProfile)
        .join(User, User.id == ExpertProfile.user_id)
        .where(ExpertProfile.on_duty.is_(True), User.active.is_(True), User.role == "expert")
    )
    for profile in profiles:
        if profile.user_id == topic.author_id or profile.user_id in exclude:
            continue
        if loads.get(profile.user_id, 0) >= profile.max_open:
            continue
        score = match_score(profile, topic, tokens)
        if score > 0:
            candidates.append((score, profile))
    oldest = datetime.min

    def order(item):
        score, profile = item
        return (
            -score,
            loads.get(profile.user_id, 0),
            profile.last_assigned_at or oldest,
            profile.user_id,
        )

    return sorted(candidates, key=order)


def experts_tried(topic: Topic) -> set[int]:
    """Experts who already had this question (declined, escalated or reassigned away)."""
    return set(
        db.session.scalars(select(Assignment.expert_id).where(Assignment.topic_id == topic.id))
    )


def record_event(
    topic: Topic,
    kind: str,
    expert_id: int | None = None,
    actor_id: int | None = None,
    detail: str = "",
) -> None:
    db.session.add(
        RoutingEvent(
            topic_id=topic.id,
            kind=kind,
            expert_id=expert_id,
            actor_id=actor_id,
            detail=detail[:500],
            created_at=now(),
        )
    )


def topic_link(topic: Topic) -> str:
    try:
        return url_for("forum.topic", topic_id=topic.id)
    except RuntimeError:  # no request: CLI sweep
        return f"/forum/t/{topic.id}"


def assign_to(
    topic: Topic, profile: ExpertProfile, detail: str = "", actor_id: int | None = None
) -> Assignment:
    at = now()
    assignment = Assignment(
        topic_id=topic.id,
        expert_id=profile.user_id,
        state="open",
        assigned_at=at,
        due_at=at + first_response_target(topic),
    )
    db.session.add(assignment)
    profile.last_assigned_at = at
    topic.routing_state = "assigned"
    record_event(topic, "assigned", profile.user_id, actor_id, detail)
    notify([profile.user_id], "assigned", f"New question for you: {topic.title}", topic_link(topic))
    return assignment


def route(topic: Topic, detail: str = "") -> Assignment | None:
    """Give the question to the best expert who has not had it yet, or mark it unrouted."""
    ranked = rank_experts(topic, exclude=experts_tried(topic))
    if ranked:
        return assign_to(topic, ranked[0][1], detail)
    if topic.routing_state != "unrouted":
        topic.routing_state = "unrouted"
        record_event(topic, "unrouted", detail="no available expert matches")
        notify(
            editor_ids(), "unrouted", f"No expert available for: {topic.title}", topic_link(topic)
        )
    return None


def editor_ids() -> list[int]:
    return list(
        db.session.scalars(
            select(User.id).where(User.role.in_(EDITOR_ROLES), User.active.is_(True))
        )
    )


def commit_or_skip() -> bool:
    """Commit one topic's routing; a concurrent sweep that got there first wins."""
    try:
        db.session.commit()
        return True
    except IntegrityError:
        db.session.rollback()
        return False

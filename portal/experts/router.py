"""Routing questions that nobody answered to the best available expert.

A question needs an expert when no expert reply or accepted answer arrived within its
category's first-response target, or at once when the asker asked for one. The router scores
on-duty experts with spare capacity by topic match (category, tags, jieba keywords), then
prefers the least loaded, then whoever waited longest since their last assignment (so ties
rotate). Overdue assignments escalate to the next expert and editors are told. When nobody
fits, the question waits in the "unrouted" queue that editors see, and the sweep leaves it
alone until the experts, their room or the question change, or its back-off ends (see
roster.py). Every step is a RoutingEvent."""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.clock import now
from portal.experts.roster import Expert, Roster
from portal.extensions import db
from portal.models import Assignment, ExpertProfile, RoutingEvent, Topic, User
from portal.notify.services import notify
from portal.roles import EDITOR_ROLES
from search.analyzer import tokenize

logger = logging.getLogger(__name__)
SWEEP_LEASE_NAME, SWEEP_LEASE = "router-sweep", timedelta(minutes=5)
CATEGORY_WEIGHT, TAG_WEIGHT, KEYWORD_WEIGHT = 3.0, 2.0, 1.0
# A question no expert could take is tried again after its age, within these bounds, even
# when nothing that could change the answer was seen (roster.py says what is watched).
RETRY_DELAY_MIN, RETRY_DELAY_MAX = timedelta(minutes=5), timedelta(hours=12)
# Questions one sweep looks at, at most: a backlog is worked through over several passes
# instead of holding a worker's CPU (and the lease) for one long pass.
ROUTE_BATCH = 200


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


def match_score(expert: Expert, topic: Topic, topic_tokens: set[str]) -> float:
    """How well an expert's expertise covers the question (0 = not at all)."""
    score = 0.0
    if topic.category is not None and expert.category_ids.intersection(topic.category.chain_ids()):
        score += CATEGORY_WEIGHT
    score += TAG_WEIGHT * len(expert.tag_ids.intersection(t.id for t in topic.tags))
    score += KEYWORD_WEIGHT * len(expert.keywords & topic_tokens)
    return score


def _topic_tokens(topic: Topic) -> set[str]:
    question = next((p for p in topic.posts if p.is_question), None)
    text = f"{topic.title} {question.body_md if question else ''}"
    return set(tokenize(text, mode="index"))


@dataclass
class Ranking:
    candidates: list[tuple[float, Expert]]  # best first
    full_match: bool  # an expert who matches had no room: a freed place could help


def rank_experts(topic: Topic, exclude: set[int], roster: Roster | None = None) -> Ranking:
    """Candidates best first: on-duty, active experts with spare capacity whose expertise
    matches, never the asker, never someone in ``exclude``."""
    roster = roster or Roster()
    tokens = _topic_tokens(topic) if roster.any_keywords else set()
    candidates, full_match = [], False
    for expert in roster.experts:
        if expert.user_id == topic.author_id or expert.user_id in exclude:
            continue
        score = match_score(expert, topic, tokens)
        if score <= 0:
            continue
        if not roster.has_room(expert):
            full_match = True
            continue
        candidates.append((score, expert))
    oldest = datetime.min

    def order(item):
        score, expert = item
        return (
            -score,
            roster.load(expert),
            expert.profile.last_assigned_at or oldest,
            expert.user_id,
        )

    return Ranking(sorted(candidates, key=order), full_match)


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


def retry_delay(topic: Topic, at: datetime) -> timedelta:
    """How long a question nobody could take waits before the router tries it again anyway
    (a change of experts or of the question brings it back sooner): its age, so the tries
    thin out as it waits, within RETRY_DELAY_MIN..RETRY_DELAY_MAX."""
    return min(max(at - topic.created_at, RETRY_DELAY_MIN), RETRY_DELAY_MAX)


def hold(topic: Topic, until: datetime, digest: str) -> None:
    """Leave the question out of the sweep until ``until`` or until ``digest`` goes stale."""
    topic.next_route_at, topic.route_digest = until, digest


def route(topic: Topic, detail: str = "", roster: Roster | None = None) -> Assignment | None:
    """Give the question to the best expert who has not had it yet, or mark it unrouted
    and hold it until something that could change that happens."""
    roster = roster or Roster()
    ranking = rank_experts(topic, exclude=experts_tried(topic), roster=roster)
    if ranking.candidates:
        expert = ranking.candidates[0][1]
        roster.took(expert.user_id)
        topic.next_route_at = topic.route_digest = None
        return assign_to(topic, expert.profile, detail)
    at = now()
    hold(
        topic,
        at + retry_delay(topic, at),
        roster.availability() if ranking.full_match else roster.expertise,
    )
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

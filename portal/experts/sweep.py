"""The router's periodic sweep, and the expert/editor actions that re-route a question."""

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from portal.audit.services import record
from portal.clock import now
from portal.experts.events import open_assignment
from portal.experts.roster import Roster
from portal.experts.router import (
    ROUTE_BATCH,
    SWEEP_LEASE,
    SWEEP_LEASE_NAME,
    SweepReport,
    assign_to,
    commit_or_skip,
    editor_ids,
    first_response_target,
    hold,
    needs_expert,
    record_event,
    route,
    topic_link,
)
from portal.extensions import db
from portal.jobs.lease import lease
from portal.models import Assignment, ExpertProfile, Topic, User
from portal.notify.services import notify


class RoutingError(ValueError):
    """An action on an assignment that cannot be done; the message says why."""

    status = 400


class NotYourAssignment(RoutingError):
    status = 403


def sweep() -> SweepReport:
    """Escalate overdue assignments, then route questions that need an expert.
    Idempotent, and only one sweep runs at a time (a database lease)."""
    with lease(SWEEP_LEASE_NAME, SWEEP_LEASE) as held:
        if not held:
            return SweepReport(ran=False)
        report = SweepReport()
        _escalate_overdue(report)
        _route_waiting(report)
        return report


def _escalate_overdue(report: SweepReport) -> None:
    at = now()
    overdue = db.session.scalars(
        select(Assignment)
        .where(Assignment.state == "open", Assignment.due_at <= at)
        .order_by(Assignment.due_at)
    ).all()
    for assignment in overdue:
        topic = assignment.topic
        assignment.state, assignment.closed_at = "escalated", at
        record_event(topic, "escalated", assignment.expert_id, detail="past due time")
        notify(editor_ids(), "escalated", f"Overdue, reassigned: {topic.title}", topic_link(topic))
        db.session.flush()
        route(topic, detail="after escalation")
        if commit_or_skip():
            report.escalated += 1
            report.topics.append(topic.id)


def _due_for_routing(at: datetime, roster: Roster):
    """Waiting or unrouted questions with no open assignment that the router is not holding:
    never tried, back-off over, or held against digests that are no longer current."""
    has_open_assignment = (
        select(Assignment.id)
        .where(Assignment.topic_id == Topic.id, Assignment.state == "open")
        .exists()
    )
    return (
        select(Topic)
        .where(
            Topic.kind == "question",
            Topic.routing_state.in_(("waiting", "unrouted")),
            Topic.accepted_post_id.is_(None),
            Topic.first_response_at.is_(None),
            Topic.hidden.is_(False),
            Topic.deleted_at.is_(None),
            Topic.locked.is_(False),
            ~has_open_assignment,
            or_(
                Topic.next_route_at.is_(None),
                Topic.next_route_at <= at,
                Topic.route_digest.not_in(roster.current_digests()),
            ),
        )
        # New questions first, then the longest held: a batch never starves the rest.
        .order_by(Topic.next_route_at.asc().nulls_first(), Topic.created_at, Topic.id)
        .limit(ROUTE_BATCH)
        .options(selectinload(Topic.tags), selectinload(Topic.posts))
    )


def held_still(topic: Topic, at: datetime, roster: Roster) -> bool:
    """Held against digests that are current again: e.g. it waited for a full expert who
    had room when the pass began and was given another question by this pass."""
    return (
        topic.next_route_at is not None
        and topic.next_route_at > at
        and topic.route_digest in roster.current_digests()
    )


def _route_waiting(report: SweepReport) -> None:
    at = now()
    roster = Roster()
    for topic in db.session.scalars(_due_for_routing(at, roster)).all():
        if held_still(topic, at, roster):
            continue
        if not needs_expert(topic, at):  # not yet past its first-response target
            hold(topic, topic.created_at + first_response_target(topic), roster.expertise)
            continue
        assignment = route(topic, roster=roster)
        if assignment is None:
            report.unrouted += 1
        elif commit_or_skip():
            report.assigned += 1
            report.topics.append(topic.id)
        else:  # another process assigned it first: its loads are not ours
            roster = Roster()
    db.session.commit()


def decline(assignment: Assignment, expert: User, reason: str) -> Assignment | None:
    """The expert passes the question on; it moves to the next best expert."""
    if assignment.expert_id != expert.id:
        raise NotYourAssignment("Only the assigned expert can decline.")
    if assignment.state != "open":
        raise RoutingError("This assignment is no longer open.")
    reason = (reason or "").strip()
    if not reason:
        raise RoutingError("Please give a reason.")
    assignment.state, assignment.closed_at = "declined", now()
    assignment.decline_reason = reason[:500]
    topic = assignment.topic
    record_event(topic, "declined", expert.id, expert.id, reason)
    db.session.flush()
    new = route(topic, detail="after decline")
    record(
        expert,
        "assignment.decline",
        "topic",
        topic.id,
        topic.title,
        {"expert_id": expert.id},
        {"expert_id": new.expert_id if new else None, "reason": assignment.decline_reason},
    )
    db.session.commit()
    return new


def reassign(topic: Topic, expert_user: User, actor: User) -> Assignment:
    """An editor hands the question to a chosen expert."""
    if expert_user.id == topic.author_id:
        raise RoutingError("The asker cannot be the expert.")
    profile = db.session.scalar(
        select(ExpertProfile).where(ExpertProfile.user_id == expert_user.id)
    )
    if profile is None or expert_user.role != "expert" or not expert_user.active:
        raise RoutingError("Choose an active expert.")
    current = open_assignment(topic)
    before = {"expert_id": current.expert_id if current else None}
    if current is not None:
        if current.expert_id == expert_user.id:
            raise RoutingError("That expert already has this question.")
        current.state, current.closed_at = "reassigned", now()
        record_event(topic, "reassigned", current.expert_id, actor.id, f"by {actor.display_name}")
        notify(
            [current.expert_id],
            "reassigned",
            f"Reassigned to someone else: {topic.title}",
            topic_link(topic),
            email=False,
        )
        db.session.flush()
    assignment = assign_to(
        topic, profile, detail=f"by hand: {actor.display_name}", actor_id=actor.id
    )
    record(
        actor,
        "topic.reassign",
        "topic",
        topic.id,
        topic.title,
        before,
        {"expert_id": expert_user.id},
    )
    db.session.commit()
    return assignment

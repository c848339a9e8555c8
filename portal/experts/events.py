"""What the forum tells the router: a reply was posted, an answer was accepted, a question
changed.

All are called by the forum services inside their transaction (before the commit)."""

from sqlalchemy import select

from portal.clock import now
from portal.extensions import db
from portal.models import Assignment, Post, RoutingEvent, Topic
from portal.roles import is_staff


def open_assignment(topic: Topic) -> Assignment | None:
    return db.session.scalar(
        select(Assignment).where(Assignment.topic_id == topic.id, Assignment.state == "open")
    )


def _answered(topic: Topic, by_user_id: int | None, detail: str) -> None:
    assignment = open_assignment(topic)
    if assignment is not None:
        assignment.state = "answered"
        assignment.closed_at = now()
    if topic.routing_state != "answered":
        db.session.add(
            RoutingEvent(
                topic_id=topic.id,
                kind="answered",
                created_at=now(),
                expert_id=assignment.expert_id if assignment else by_user_id,
                actor_id=by_user_id,
                detail=detail,
            )
        )
    topic.routing_state = "answered"


def on_reply(topic: Topic, post: Post) -> None:
    """An expert's (or editor's) reply is the first response the target measures."""
    if not topic.is_question or post.author_id == topic.author_id:
        return
    if not is_staff(post.author):
        return
    if topic.first_response_at is None:
        topic.first_response_at = post.created_at or now()
    _answered(topic, post.author_id, f"reply #{post.id}" if post.id else "reply")


def on_answer_accepted(topic: Topic, post: Post) -> None:
    """An accepted answer (from anyone) also ends the wait for an expert."""
    if not topic.is_question:
        return
    if topic.first_response_at is None:
        topic.first_response_at = now()
    _answered(topic, post.author_id, "accepted answer")


def reconsider(topic: Topic) -> None:
    """The question was edited, moved, shown again or unlocked: a question the router held
    because nobody could take it is looked at again on the next pass, not after its back-off."""
    topic.next_route_at = topic.route_digest = None

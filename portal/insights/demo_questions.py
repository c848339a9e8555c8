"""The questions in the demo traffic: the ask page (suggestions while typing, then open one,
post or leave) and the forum's answer desk (experts, the router's sweep, editors, askers
accepting answers)."""

import random
from datetime import datetime, timedelta

from sqlalchemy import select

from portal.ask.services import attach_topic, record_open, start_session, suggest_for
from portal.experts.sweep import sweep
from portal.extensions import db
from portal.forum.services import ForumError, accept_answer, create_topic, reply
from portal.insights.demo_phrases import ANSWERS, BODY_DETAILS, QUESTION_FORMS
from portal.kb.feedback import record_view
from portal.models import Article, Assignment, Topic, User


class QuestionTraffic:
    """Mixed into Traffic: its ask and tick events. Uses the traffic's rng, clock, users,
    visitor() and pick()."""

    rng: random.Random
    users: dict[str, User]  # the demo accounts by role
    decided: set[int]  # answered topics whose asker already chose to accept or not

    def _ask(self, at: datetime) -> None:
        """The ask page: type a title, see suggestions, then open one, post, or leave."""
        rng = self.rng
        user, anon = self.visitor(logged_in_share=0.7)
        subject = self.pick(rng.random() < 0.35)
        title = rng.choice(QUESTION_FORMS).format(
            rng.choice(subject.phrases[1:] or subject.phrases)
        )
        self.clock.at = at
        session = start_session(user.id if user else None, anon)
        suggestions = []
        for cut in (max(2, len(title) // 2), len(title)):  # live suggestions while typing
            at += timedelta(seconds=rng.randint(2, 9))
            self.clock.at = at
            suggestions = suggest_for(session, title[:cut], highlight=False)  # not shown
        roll = rng.random()
        if suggestions and roll < 0.35:
            key = rng.choice(suggestions[:3]).key
            self.clock.at = at + timedelta(seconds=rng.randint(3, 20))
            record_open(session, key)
            doc_type, _sep, doc_id = key.partition(":")
            if doc_type == "article":
                record_view(
                    db.session.get(Article, int(doc_id)), user.id if user else None, anon, None
                )
        elif user is not None and roll < 0.85:
            self.clock.at = at + timedelta(minutes=rng.randint(2, 8))
            try:
                topic = create_topic(
                    user,
                    title=title,
                    category_id=subject.category_id,
                    body_md=f"{title}\n\n{rng.choice(BODY_DETAILS)}",
                    tags=list(subject.tags),
                    wants_expert=rng.random() < 0.15,
                )
            except ForumError:  # throttled: they give up, like a person would
                db.session.rollback()
                return
            attach_topic(session, topic, user.id)

    def _tick(self, at: datetime) -> None:
        """Experts answer some questions early, the router sweeps, assigned experts work
        through their queue, editors pick up unrouted ones, askers accept some answers."""
        rng = self.rng
        self.clock.at = at
        waiting = db.session.scalars(
            select(Topic)
            .where(
                Topic.kind == "question",
                Topic.routing_state == "waiting",
                Topic.first_response_at.is_(None),
                Topic.accepted_post_id.is_(None),
                Topic.created_at <= at - timedelta(minutes=30),
            )
            .order_by(Topic.id)
        ).all()
        for topic in waiting:
            if rng.random() < 0.2:
                self.answer(topic, self.users["expert"])
        sweep()
        self.clock.at = at
        for assignment in db.session.scalars(
            select(Assignment)
            .where(Assignment.state == "open", Assignment.assigned_at <= at - timedelta(hours=1))
            .order_by(Assignment.id)
        ).all():
            if rng.random() < 0.5:
                self.answer(assignment.topic, assignment.expert)
        for topic in db.session.scalars(
            select(Topic)
            .where(
                Topic.routing_state == "unrouted",
                Topic.accepted_post_id.is_(None),
                Topic.created_at <= at - timedelta(hours=6),
            )
            .order_by(Topic.id)
        ).all():
            if rng.random() < 0.15:
                self.answer(topic, self.users["editor"])
        for topic in db.session.scalars(
            select(Topic)
            .where(
                Topic.routing_state == "answered",
                Topic.accepted_post_id.is_(None),
                Topic.id.not_in(self.decided),  # not loaded again at every tick
            )
            .order_by(Topic.id)
        ).all():
            self.decided.add(topic.id)
            answer = next(
                (
                    p
                    for p in reversed(topic.posts)
                    if not p.is_question and p.author_id != topic.author_id
                ),
                None,
            )
            if answer is not None and rng.random() < 0.45:
                try:
                    accept_answer(topic, answer, topic.author)
                except ForumError:
                    db.session.rollback()

    def answer(self, topic: Topic, expert: User) -> None:
        try:
            reply(topic, expert, self.rng.choice(ANSWERS))
        except ForumError:
            db.session.rollback()

"""Posting the benchmark's forum topics, in three modes whose rates the corpus reports.

1. unbatched: portal.forum.services (create_topic, reply) exactly as a request would,
   commit and index per post;
2. batched: the same service code, one commit per COMMIT_EVERY posts, the index update
   deferred (the benchmarks build their index from the database);
3. bulk, the rest (the bulk of a large corpus): the rows those services leave — topic,
   opening post, replies, tags, reply count, activity time, the posters' watches, the first
   expert response and its routing event — BULK_CHUNK topics to a transaction, without
   the notifications and mails the services also queue. Through the services, 20,000
   topics took about 13 minutes; search reads only topics, posts, tags and categories.

Every topic gets the same author, times and replies whichever mode writes it (see _plan)."""

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from unittest import mock

from sqlalchemy import select
from tqdm import tqdm

from bench._corpus_text import TopicText
from portal.auth.services import create_user
from portal.editor.services import clean_tags
from portal.extensions import db
from portal.forum.services import clean_body, clean_title, create_topic, reply
from portal.models import Category, Post, RoutingEvent, Tag, Topic, User, Watch
from portal.roles import STAFF_ROLES

UNBATCHED_TOPICS = 20
BATCHED_TOPICS = 200
COMMIT_EVERY = 200
BULK_CHUNK = 1000
PASSWORD = "bench-password-1"
FIRST_POST = datetime(2026, 1, 1, 8, 0)
JOINED = datetime(2025, 1, 1)  # older than NEW_ACCOUNT_DAYS: no new-account throttle


class SettableClock:
    """portal.clock.now() for the corpus app: topics spread over a year."""

    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at


class BatchedCommit:
    """Stands in for commit_and_index: flushes, and commits every ``every`` calls."""

    def __init__(self, every: int):
        self.every, self.calls = every, 0

    def __call__(self) -> None:
        self.calls += 1
        if self.calls % self.every == 0:
            db.session.commit()
        else:
            db.session.flush()


def make_users(size: int) -> dict[str, list[User]]:
    """A pool of customers and experts (a few dozen: password hashing is deliberately slow)."""
    pool: dict[str, list[User]] = {"customer": [], "expert": []}
    counts = {"customer": min(60, max(4, size // 250)), "expert": min(10, max(2, size // 2000))}
    for role, count in counts.items():
        for number in range(count):
            user = create_user(
                f"bench-{role}{number}@example.com", PASSWORD, f"{role}{number}", role=role
            )
            user.created_at = JOINED
            pool[role].append(user)
    db.session.commit()
    return pool


@dataclass
class _Poster:
    id: int
    role: str


@dataclass
class _Plan:
    """Who posts topic ``number`` and its replies, and when."""

    author: _Poster
    at: datetime
    replies: list[tuple[_Poster, datetime, str]]


def _plan(topic_text: TopicText, number: int, people: dict[str, list[_Poster]]) -> _Plan:
    customers, experts = people["customer"], people["expert"]
    at = clock = FIRST_POST + timedelta(minutes=7 * number)
    replies = []
    for position, body in enumerate(topic_text.replies):
        clock += timedelta(minutes=3 + position)
        pool = experts if position % 3 == 0 else customers
        replies.append((pool[(number + position) % len(pool)], clock, body))
    return _Plan(customers[number % len(customers)], at, replies)


def _post(
    topic_text: TopicText, plan: _Plan, users: dict[int, User], category_ids, clock: SettableClock
) -> None:
    """One topic and its replies through the forum services."""
    clock.at = plan.at
    topic = create_topic(
        users[plan.author.id],
        title=topic_text.title,
        body_md=topic_text.body,
        kind=topic_text.kind,
        category_id=category_ids[topic_text.leaf],
        tags=topic_text.tags,
    )
    for poster, at, body in plan.replies:
        clock.at = at
        reply(topic, users[poster.id], body)


class _BulkTopics:
    """Topics as the rows create_topic and reply leave (see the module doc), a chunk at a
    time: add() them, then write() flushes, adds what needs their ids, and commits."""

    def __init__(self, category_ids: dict[str, int]):
        self.category_ids = category_ids
        self.tags = {tag.name.lower(): tag for tag in db.session.scalars(select(Tag))}
        self.pending: list[tuple[Topic, dict[int, datetime], Post | None]] = []

    def _tags(self, names: list[str]) -> list[Tag]:
        tags = []
        for name in clean_tags(names):
            tag = self.tags.get(name.lower())
            if tag is None:
                tag = self.tags[name.lower()] = Tag(name=name)
            tags.append(tag)
        return tags

    def add(self, topic_text: TopicText, plan: _Plan) -> None:
        question = topic_text.kind == "question"
        topic = Topic(
            kind=topic_text.kind,
            title=clean_title(topic_text.title),
            category_id=self.category_ids[topic_text.leaf],
            author_id=plan.author.id,
            created_at=plan.at,
            last_activity_at=plan.at,
            reply_count=0,
            view_count=0,
            wants_expert=False,
            routing_state="waiting" if question else "none",
            tags=self._tags(topic_text.tags),
        )
        db.session.add(topic)
        db.session.add(
            Post(
                topic=topic,
                author_id=plan.author.id,
                body_md=clean_body(topic_text.body),
                is_question=True,
                created_at=plan.at,
            )
        )
        watchers, first_response = {plan.author.id: plan.at}, None
        for poster, at, body in plan.replies:
            post = Post(topic=topic, author_id=poster.id, body_md=clean_body(body), created_at=at)
            db.session.add(post)
            topic.reply_count += 1
            topic.last_activity_at = at
            watchers.setdefault(poster.id, at)
            if (
                question
                and first_response is None
                and poster.id != plan.author.id
                and poster.role in STAFF_ROLES
            ):  # portal.experts.events.on_reply
                topic.first_response_at, topic.routing_state = at, "answered"
                first_response = post
        self.pending.append((topic, watchers, first_response))

    def write(self) -> None:
        db.session.flush()  # topic and post ids
        for topic, watchers, first_response in self.pending:
            db.session.add_all(
                Watch(user_id=user_id, topic_id=topic.id, created_at=at)
                for user_id, at in watchers.items()
            )
            if first_response is not None:
                db.session.add(
                    RoutingEvent(
                        topic_id=topic.id,
                        kind="answered",
                        created_at=first_response.created_at,
                        expert_id=first_response.author_id,
                        actor_id=first_response.author_id,
                        detail=f"reply #{first_response.id}",
                    )
                )
        db.session.commit()
        self.pending.clear()


def create_topics(app, topics: list[TopicText], users, progress: bool = True) -> dict:
    """Post every topic with its replies; returns the reply count and topics/s per mode."""
    category_ids = {c.slug: c.id for c in db.session.scalars(select(Category))}
    by_id = {user.id: user for pool in users.values() for user in pool}
    people = {role: [_Poster(user.id, user.role) for user in pool] for role, pool in users.items()}
    plans = [_plan(text, number, people) for number, text in enumerate(topics)]
    clock = SettableClock(FIRST_POST)
    app.config["CLOCK"] = clock
    third = len(topics) // 3  # a tiny corpus still goes through all three modes
    unbatched = min(UNBATCHED_TOPICS, third)
    batched = unbatched + min(BATCHED_TOPICS, third)
    rates = {}
    bar = tqdm(total=len(topics), desc="forum", unit="topic", disable=not progress)
    for mode, start, end in (
        ("unbatched", 0, unbatched),
        ("batched", unbatched, batched),
        ("bulk", batched, len(topics)),
    ):
        started = time.perf_counter()
        if mode == "bulk":
            bulk = _BulkTopics(category_ids)
            for number in range(start, end):
                bulk.add(topics[number], plans[number])
                if len(bulk.pending) == BULK_CHUNK or number == end - 1:
                    bulk.write()
                bar.update(1)
        else:
            patch = (
                mock.patch("portal.forum.services.commit_and_index", BatchedCommit(COMMIT_EVERY))
                if mode == "batched"
                else mock.patch.dict({})
            )
            with patch:
                for number in range(start, end):
                    _post(topics[number], plans[number], by_id, category_ids, clock)
                    bar.update(1)
                db.session.commit()
        elapsed = time.perf_counter() - started
        rates[f"{mode}_rate"] = round((end - start) / elapsed, 1) if end > start else 0.0
    bar.close()
    app.config["CLOCK"] = None
    return {"replies": sum(len(plan.replies) for plan in plans), **rates}

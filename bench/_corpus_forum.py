"""Posting the benchmark's forum topics through portal.forum.services (create_topic, reply).

The first topics are posted exactly as a request would (commit and index per post) to
measure that rate; the rest share one commit per COMMIT_EVERY posts (same service code,
the index update deferred: the benchmarks rebuild the index from the database)."""

import time
from datetime import datetime, timedelta
from unittest import mock

from sqlalchemy import select
from tqdm import tqdm

from bench._corpus_text import TopicText
from portal.auth.services import create_user
from portal.extensions import db
from portal.forum.services import create_topic, reply
from portal.models import Category, User

UNBATCHED_TOPICS = 20
COMMIT_EVERY = 200
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
            user = create_user(f"bench-{role}{number}@example.com", PASSWORD, f"{role}{number}",
                               role=role)
            user.created_at = JOINED
            pool[role].append(user)
    db.session.commit()
    return pool


def _post(topic_text: TopicText, number: int, users, category_ids, clock) -> int:
    customers, experts = users["customer"], users["expert"]
    author = customers[number % len(customers)]
    clock.at = FIRST_POST + timedelta(minutes=7 * number)
    topic = create_topic(author, title=topic_text.title, body_md=topic_text.body,
                         kind=topic_text.kind, category_id=category_ids[topic_text.leaf],
                         tags=topic_text.tags)
    for position, body in enumerate(topic_text.replies):
        clock.at += timedelta(minutes=3 + position)
        people = experts if position % 3 == 0 else customers
        reply(topic, people[(number + position) % len(people)], body)
    return len(topic_text.replies)


def create_topics(app, topics: list[TopicText], users, progress: bool = True) -> dict:
    """Post every topic with its replies; returns reply count and topics/s per mode."""
    category_ids = {c.slug: c.id for c in db.session.scalars(select(Category))}
    clock = SettableClock(FIRST_POST)
    app.config["CLOCK"] = clock
    replies, rates = 0, {}
    split = min(UNBATCHED_TOPICS, len(topics) // 2)
    bar = tqdm(total=len(topics), desc="forum", unit="topic", disable=not progress)
    for mode, chunk, offset in (("unbatched", topics[:split], 0),
                                ("batched", topics[split:], split)):
        patch = (mock.patch("portal.forum.services.commit_and_index", BatchedCommit(COMMIT_EVERY))
                 if mode == "batched" else mock.patch.dict({}))
        started = time.perf_counter()
        with patch:
            for number, topic_text in enumerate(chunk, start=offset):
                replies += _post(topic_text, number, users, category_ids, clock)
                bar.update(1)
            db.session.commit()
        elapsed = time.perf_counter() - started
        rates[f"{mode}_rate"] = round(len(chunk) / elapsed, 1) if chunk else 0.0
    bar.close()
    app.config["CLOCK"] = None
    return {"replies": replies, **rates}

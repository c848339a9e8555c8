"""CPU time of the router sweep with N questions that no expert matches.

Builds a throwaway SQLite database (migrated like a real one) with N overdue questions
(forum text from the benchmark corpus generator) and one on-duty expert whose expertise
matches none of them, then times consecutive sweeps, one minute apart as the schedule runs
them: the first pass, the later ones, and the pass after a matching expert appears.

    .venv/bin/python -m bench.router_sweep --topics 2000
"""

import argparse
import random
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from flask_migrate import upgrade

from bench._common import SEED, bench_app, fmt, machine_line, markdown_table
from bench._corpus_forum import SettableClock
from bench._corpus_text import forum_topic
from portal.auth.services import create_user
from portal.editor.services import clean_tags
from portal.experts.profiles import profile_for, update_profile
from portal.experts.sweep import sweep
from portal.extensions import db
from portal.models import Category, Post, Tag, Topic, User

START = datetime(2026, 11, 2, 9, 0)
PASSWORD = "bench-password-1"


def _user(email: str, role: str):
    return create_user(email, PASSWORD, email.split("@")[0], role=role, check_strength=False)


def build(topics: int) -> tuple[Category, object]:
    """N overdue questions in one category, and an expert who knows only another one."""
    asked_in = Category(slug="asked", name="提问")
    elsewhere = Category(slug="elsewhere", name="别处")
    db.session.add_all([asked_in, elsewhere])
    db.session.flush()
    asker, expert = _user("asker@example.com", "customer"), _user("expert@example.com", "expert")
    update_profile(
        profile_for(expert),
        category_ids=[elsewhere.id],
        tags=["nomatch"],
        keywords="zzzunmatched",
        on_duty=True,
        max_open=5,
    )
    rng = random.Random(SEED)
    tags: dict[str, Tag] = {}
    asked_at = START - timedelta(hours=10)  # past the 4-hour first-response target
    for number in range(topics):
        text = forum_topic(number, rng)
        topic = Topic(
            kind="question",
            title=text.title[:200],
            category_id=asked_in.id,
            author_id=asker.id,
            created_at=asked_at,
            last_activity_at=asked_at,
            routing_state="waiting",
            tags=[tags.setdefault(name, Tag(name=name)) for name in clean_tags(text.tags)],
        )
        db.session.add(topic)
        db.session.add(Post(topic=topic, author_id=asker.id, body_md=text.body, is_question=True))
    db.session.commit()
    return asked_in, expert


def timed_sweep(app, clock: SettableClock) -> tuple[float, object]:
    """One sweep as the schedule runs it (a fresh session), a minute after the last."""
    clock.at += timedelta(minutes=1)
    with app.app_context():
        started = time.process_time()
        report = sweep()
        spent = time.process_time() - started
        db.session.remove()
    return spent, report


def sweeps_until_quiet(app, clock: SettableClock, most: int, label: str) -> list[list]:
    """Sweep until a pass tries nothing (or ``most`` passes): a row for the first pass, one
    for all the passes that worked on the backlog, and one for the quiet pass after."""
    passes = []
    while len(passes) < most:
        spent, report = timed_sweep(app, clock)
        passes.append((spent, report.assigned, report.unrouted))
        if not report.assigned and not report.unrouted:
            break
    busy = [p for p in passes if p[1] or p[2]]
    rows = [[f"{label}: pass 1", fmt(passes[0][0], 3), passes[0][1], passes[0][2]]]
    if len(busy) > 1:
        rows.append(
            [
                f"{label}: passes 1-{len(busy)} together",
                fmt(sum(p[0] for p in busy), 3),
                sum(p[1] for p in busy),
                sum(p[2] for p in busy),
            ]
        )
    quiet = passes[len(busy) :]
    if quiet:
        rows.append([f"{label}: pass {len(busy) + 1} (quiet)", fmt(quiet[0][0], 3), 0, 0])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topics", type=int, default=2000)
    parser.add_argument("--passes", type=int, default=30, help="most sweeps in each phase")
    args = parser.parse_args()
    clock = SettableClock(START)
    with tempfile.TemporaryDirectory(prefix="router-sweep-") as tmp:
        app = bench_app(Path(tmp), CLOCK=clock)
        with app.app_context():
            upgrade()
            asked_in, expert = build(args.topics)
            asked_in_id, expert_id = asked_in.id, expert.id
            db.session.remove()
        rows = sweeps_until_quiet(app, clock, args.passes, "no expert matches")
        with app.app_context():  # an expert for the asked category comes on duty
            update_profile(
                profile_for(db.session.get(User, expert_id)),
                category_ids=[asked_in_id],
                tags=[],
                keywords="",
                on_duty=True,
                max_open=5,
            )
            db.session.remove()
        rows += sweeps_until_quiet(app, clock, args.passes, "a matching expert (room for 5)")
    print(f"\nRouter sweep, {args.topics:,} overdue questions no expert matches")
    print(machine_line())
    headers = ["sweep (a minute apart)", "CPU s", "assigned", "tried, nobody free"]
    print(markdown_table(headers, rows))


if __name__ == "__main__":
    main()

"""`flask insights demo-data`: a realistic stretch of portal traffic so every insight page
has something to show, made through the same services real requests call (search, click,
view, vote, ask, post, reply, accept, router sweep) with the clock moved through each day.

The traffic covers the last DAYS UTC days (the pages' unit) up to the hour before now, busy
at 10-12 and 20-22 in the portal's time zone. The same --seed on the same articles gives the
same traffic (within the same hour). Demo traffic is recognised by its visitors (anonymous
ids starting with "demo-", the demo and generated customer accounts); if any exists in those
days the command refuses, unless --force, which adds another layer on top (nothing is
deleted). For demos and development, never production. Use --days 60 to give the 30-day
pages a previous range to compare with."""

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta

import click
from flask import current_app
from sqlalchemy import func, or_, select
from tqdm import tqdm

from portal.auth.services import create_user, find_user, generate_password
from portal.clock import now
from portal.demo import DEMO_USERS, seed_users
from portal.experts.router import SWEEP_LEASE, SWEEP_LEASE_NAME
from portal.extensions import db
from portal.indexing.outbox import drains_deferred
from portal.insights.cli import insights_cli
from portal.insights.demo_traffic import (
    CUSTOMER_EMAIL,
    DEMO_ANON_PREFIX,
    DemoClock,
    Traffic,
)
from portal.jobs.lease import lease
from portal.models import (
    Article,
    ArticleFeedback,
    ArticleView,
    AskSession,
    Post,
    RoutingEvent,
    SearchClick,
    SearchLog,
    Topic,
    User,
)


class DemoDataExists(click.ClickException):
    """Demo traffic is already there for these days (use --force to add more)."""


@dataclass
class DemoSummary:
    searches: int = 0
    bots: int = 0
    staff: int = 0
    zero_results: int = 0
    clicks: int = 0
    views: int = 0
    votes: int = 0
    ask_sessions: int = 0
    deflected: int = 0
    topics: int = 0
    replies: int = 0
    accepted: int = 0
    routing_events: int = 0

    def minus(self, other: "DemoSummary") -> "DemoSummary":
        return DemoSummary(
            **{f.name: getattr(self, f.name) - getattr(other, f.name) for f in fields(self)}
        )


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def totals() -> DemoSummary:
    """What the database holds now (the summary is the difference before/after)."""
    return DemoSummary(
        searches=_count(SearchLog),
        bots=_count(SearchLog, SearchLog.is_bot.is_(True)),
        staff=_count(SearchLog, SearchLog.is_staff.is_(True)),
        zero_results=_count(SearchLog, SearchLog.result_count == 0),
        clicks=_count(SearchClick),
        views=_count(ArticleView),
        votes=_count(ArticleFeedback),
        ask_sessions=_count(AskSession),
        deflected=_count(
            AskSession, AskSession.opened_suggestion_at.is_not(None), AskSession.topic_id.is_(None)
        ),
        topics=_count(Topic),
        replies=_count(Post, Post.is_question.is_(False)),
        accepted=_count(Topic, Topic.accepted_post_id.is_not(None)),
        routing_events=_count(RoutingEvent),
    )


def period(days: int) -> tuple[list[date], datetime]:
    """The last DAYS UTC days, today included (the insight pages count UTC days), and the
    moment traffic stops: the start of the hour before now, so nothing lands in the future
    and the same seed gives the same traffic all hour long."""
    stop = now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    today = now().date()
    return [today - timedelta(days=days - 1 - i) for i in range(days)], stop


def demo_user_ids() -> list[int]:
    emails = [email for email, _role, _name in DEMO_USERS]
    return list(
        db.session.scalars(
            select(User.id).where(
                or_(User.email.in_(emails), User.email.like(CUSTOMER_EMAIL.format("%")))
            )
        )
    )


def existing_demo_searches(start: datetime, end: datetime) -> int:
    return _count(
        SearchLog,
        SearchLog.created_at >= start,
        SearchLog.created_at < end,
        or_(
            SearchLog.anon_id.like(f"{DEMO_ANON_PREFIX}%"),
            SearchLog.user_id.in_(demo_user_ids() or [-1]),
        ),
    )


def _accounts(count: int, since: datetime) -> tuple[dict, list[User], str | None, list[str]]:
    """The demo users (seeded if missing) and COUNT generated customers, all old enough to
    post freely. Returns them, the password given to the accounts created now and their
    e-mails (None and [] when none was created: existing passwords are never touched)."""
    password = current_app.config["DEMO_PASSWORD"] or generate_password()
    created = [email for email, _role, _name in DEMO_USERS if find_user(email) is None]
    users = seed_users(password)
    customers = []
    password_hash = None  # one Argon2 hash for every new customer: they share the password
    for n in range(1, count + 1):
        email = CUSTOMER_EMAIL.format(n)
        user = find_user(email)
        if user is None:
            user = create_user(email, password, f"顾客{n:03d}", password_hash=password_hash)
            password_hash = user.password_hash
            created.append(user.email)
        customers.append(user)
    for user in [*users.values(), *customers]:
        user.created_at = min(user.created_at, since)
    db.session.commit()
    return users, customers, (password if created else None), created


def generate(
    days: int = 30,
    seed: int = 1,
    per_day: int = 300,
    force: bool = False,
    progress: Callable[[int], None] | None = None,
) -> tuple[DemoSummary, str | None, list[str]]:
    """Replay DAYS days of traffic up to the hour before now; returns what was added, and
    the password and e-mails of the demo accounts created now. Raises DemoDataExists when
    there is demo traffic in those days already (unless FORCE)."""
    if db.session.scalar(select(Article.id).where(Article.status == "published").limit(1)) is None:
        raise click.ClickException("No published articles: run `flask kb import kb_articles`.")
    utc_days, stop = period(days)
    start = datetime.combine(utc_days[0], time.min)
    existing = existing_demo_searches(start, stop + timedelta(hours=1))
    if existing and not force:
        raise DemoDataExists(
            f"Demo traffic already exists in {utc_days[0]}..{utc_days[-1]} ({existing} "
            "searches). Run with --force to add another layer on top of it."
        )
    before = totals()
    users, customers, password, created = _accounts(
        max(8, min(200, per_day // 4)), start - timedelta(days=90)
    )
    rng = random.Random(seed)  # noqa: S311 (made-up traffic, the same for the same seed)
    traffic = Traffic(rng, DemoClock(), per_day, days, users, customers)
    # The router sweeps at every tick. Held here, in real time, for the whole run, its
    # lease is not taken and released by each sweep, whose rollback expired every user and
    # article the traffic holds (each then reloaded by a query of its own). Not held (a
    # sweep elsewhere has it): each sweep tries for it as before.
    with lease(SWEEP_LEASE_NAME, SWEEP_LEASE):
        _replay(traffic, utc_days, stop, progress)
    return totals().minus(before), password, created


def _replay(
    traffic: Traffic, utc_days: list[date], stop: datetime, progress: Callable | None
) -> None:
    """The traffic's days in order, with the portal's clock moved through them."""
    saved = current_app.config["CLOCK"]
    current_app.config["CLOCK"] = traffic.clock
    # Every change goes through this session, so what it holds is never stale: reloading
    # every user and article after each of the run's thousands of commits is wasted.
    session = db.session()
    expire_on_commit, session.expire_on_commit = session.expire_on_commit, False
    try:
        # record_open builds URLs: give the services a request to build them in.
        with current_app.test_request_context("/"):
            for index, day in enumerate(utc_days):
                # Votes and posts re-index their document: one index commit a day rather
                # than one per change (the index commit was most of a vote's cost).
                with drains_deferred():
                    traffic.day(index, day, stop)
                traffic.searches.forget()  # the index has the day's changes now
                if progress:
                    progress(1)
    finally:
        session.expire_on_commit = expire_on_commit
        current_app.config["CLOCK"] = saved


def roll_up_demo_days(days: int) -> int:
    """Roll up from the first demo day: the traffic was back-filled behind the watermark."""
    from portal.insights.rollup import roll_up

    first_day, _stop = period(days)
    return roll_up(since=datetime.combine(first_day[0], time.min))


@insights_cli.command("demo-data")
@click.option("--days", type=click.IntRange(1, 366), default=30, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option(
    "--per-day",
    type=click.IntRange(10, 100_000),
    default=300,
    show_default=True,
    help="About this many searches a day.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Add traffic even when demo traffic exists in those days (adds, never deletes).",
)
def demo_data_command(days: int, seed: int, per_day: int, force: bool):
    """Fill the last DAYS days (UTC, up to the hour before now) with realistic demo traffic
    through the real services; refuses if demo traffic is there already, unless --force."""
    portal_logger = logging.getLogger("portal")
    level = portal_logger.level
    portal_logger.setLevel(logging.WARNING)  # one log line per mail and topic would drown
    try:
        with tqdm(total=days, unit="day", desc="demo-data") as bar:
            summary, password, created = generate(days, seed, per_day, force, progress=bar.update)
    finally:
        portal_logger.setLevel(level)
    rolled = roll_up_demo_days(days)
    click.echo(
        f"Searches {summary.searches} (bots {summary.bots}, staff {summary.staff}, "
        f"no result {summary.zero_results}), clicks {summary.clicks}, views "
        f"{summary.views}, votes {summary.votes}."
    )
    click.echo(
        f"Ask sessions {summary.ask_sessions} (deflected {summary.deflected}), topics "
        f"{summary.topics}, replies {summary.replies}, accepted {summary.accepted}, "
        f"routing events {summary.routing_events}."
    )
    click.echo(f"Rolled up {rolled} hours.")
    if password:
        click.echo(
            f"{len(created)} demo accounts were created now ({_listed(created)}); "
            f"their password: {password}"
        )
    else:
        click.echo("No account was created: the demo accounts keep their passwords.")


def _listed(emails: list[str], shown: int = 4) -> str:
    more = len(emails) - shown
    return ", ".join(emails[:shown]) + (f" and {more} more" if more > 0 else "")

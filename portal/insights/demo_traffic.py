"""The demo traffic itself: one day of visits at a time, in time order (searches, clicks,
views, votes, and the questions of demo_questions.py) made through the real services."""

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.insights.demo_phrases import (
    APP_AGENT,
    BOT_AGENTS,
    BROWSERS,
    GAPS,
    NO_COMMENTS,
    PII_FORMS,
    YES_COMMENTS,
    Subject,
    query_text,
)
from portal.insights.demo_questions import QuestionTraffic
from portal.insights.demo_searches import SearchMemo
from portal.insights.query_reports import display_zone
from portal.kb.feedback import record_view, record_vote
from portal.models import Article, Category, SearchClick, User
from portal.roles import EDITOR, EXPERT
from portal.searching.params import parse_search_params
from portal.searching.service import new_click, run_search

DEMO_ANON_PREFIX = "demo-"
CUSTOMER_EMAIL = "customer{}@example.com"
# Local hour of day (the portal's time zone) -> relative traffic: busy 10-12 and 20-22.
HOUR_WEIGHTS = (2, 1, 1, 0.5, 0.5, 0.5, 1, 2, 4, 6, 9, 10, 9, 6, 6, 6, 6, 5, 5, 6, 9, 10, 9, 5)
TICK_HOURS = range(1, 24, 2)  # when the router sweeps and experts work through their queue


class DemoClock:
    """What portal.clock.now() returns while generating."""

    at: datetime | None = None

    def __call__(self) -> datetime:
        return self.at


def local_hour_weights(day: date) -> list[float]:
    """HOUR_WEIGHTS for the UTC hours of DAY, by the hour it is in the portal's time zone."""
    _name, zone = display_zone()
    return [
        HOUR_WEIGHTS[datetime.combine(day, time(hour), UTC).astimezone(zone).hour]
        for hour in range(24)
    ]


class Traffic(QuestionTraffic):
    """Generates and replays one day of visits at a time, in time order."""

    def __init__(
        self,
        rng: random.Random,
        clock: DemoClock,
        per_day: int,
        days: int,
        users: dict,
        customers: list[User],
    ):
        self.rng, self.clock, self.per_day, self.days = rng, clock, per_day, days
        self.customers, self.users = customers, users
        self.anons = [
            f"{DEMO_ANON_PREFIX}{rng.getrandbits(64):016x}" for _ in range(max(20, per_day * 2))
        ]
        self.articles = self._article_subjects()
        # A few articles customers find unhelpful (the "worst rated" table needs some).
        ids = [s.article_id for s in self.articles]
        self.weak = set(rng.sample(ids, min(3, len(ids))))
        self.gaps = self._gap_subjects()
        self.decided: set[int] = set()  # answered topics whose asker already chose to accept
        self.progress = 0.0
        self.searches = SearchMemo()
        self.clicks: list[SearchClick] = []  # the day's, added when it ends

    def _article_subjects(self) -> list[Subject]:
        articles = db.session.scalars(
            select(Article).where(Article.status == "published").order_by(Article.slug)
        ).all()
        subjects = [
            Subject(
                (a.title, *a.tag_names), a.language, a.id, a.category_id, tuple(a.tag_names[:2])
            )
            for a in articles
        ]
        # Held, so that session.get() finds them in the session instead of querying again.
        self.published = articles
        self.rng.shuffle(subjects)
        for rank, subject in enumerate(subjects, 1):  # a few articles are asked about a lot
            subject.weight = 1 / rank**0.8
        return subjects

    def _gap_subjects(self) -> list[Subject]:
        slugs = dict(db.session.execute(select(Category.slug, Category.id)).all())
        return [
            Subject(phrases, "zh-CN", None, slugs.get(slug), (), weight, trend)
            for phrases, weight, trend, slug in GAPS
        ]

    # -- choosing --------------------------------------------------------------------------

    def _gap_weight(self, subject: Subject) -> float:
        if subject.trend == "rising":
            return subject.weight * (0.25 + 2.5 * self.progress)
        if subject.trend == "late":
            return subject.weight * max(0.0, self.progress - 0.35) * 4
        return subject.weight

    def pick(self, gap: bool) -> Subject:
        pool = self.gaps if gap else self.articles
        weights = [self._gap_weight(s) if gap else s.weight for s in pool]
        return self.rng.choices(pool, weights)[0]

    def visitor(self, logged_in_share: float = 0.35) -> tuple[User | None, str | None]:
        if self.rng.random() < logged_in_share:
            return self.rng.choice(self.customers), None
        return None, self.rng.choice(self.anons)

    def moment(self, day: date, weights: list[float]) -> datetime:
        hour = self.rng.choices(range(24), weights)[0]
        return datetime.combine(day, time(hour, self.rng.randrange(60), self.rng.randrange(60)))

    # -- one day ---------------------------------------------------------------------------

    def day(self, index: int, day: date, stop: datetime) -> None:
        rng = self.rng
        self.progress = index / max(1, self.days - 1)
        weekend = 0.75 if day.weekday() >= 5 else 1.0
        volume = self.per_day * weekend * (0.95 + 0.1 * self.progress) * rng.uniform(0.9, 1.1)
        plan = {
            "visit": round(volume * 0.78),
            "browse": round(volume * 0.15),
            "bot": max(2, round(volume * 0.03)),
            "staff": max(1, round(volume * 0.02)),
            "pii": max(1, round(volume * 0.01)),
            "ask": max(4, round(volume * 0.06)),
        }
        weights = local_hour_weights(day)
        events = [(self.moment(day, weights), kind) for kind, n in plan.items() for _ in range(n)]
        events += [(datetime.combine(day, time(hour)), "tick") for hour in TICK_HOURS]
        if self.per_day >= 100 and index % 5 == 3:  # a scraper with a browser's user agent
            events.append((self.moment(day, weights), "burst"))
        for at, kind in sorted(events, key=lambda event: event[0]):
            if at >= stop:
                break
            getattr(self, f"_{kind}")(at)
        # The day's clicks in one insert: nothing the traffic calls reads them back (one
        # commit per click was most of a click's cost).
        db.session.add_all(self.clicks)
        db.session.commit()
        self.clicks.clear()

    def _visit(self, at: datetime) -> None:
        user, anon = self.visitor()
        gap = self.rng.random() < 0.18
        subject = self.pick(gap)
        agent, source = (
            (APP_AGENT, "api") if self.rng.random() < 0.1 else (self.rng.choice(BROWSERS), "page")
        )
        clicked = self.search(
            at,
            query_text(self.rng, subject),
            user,
            anon,
            agent,
            source,
            click_share=0.12 if gap else 0.7,
            subject=subject,
        )
        if not clicked and self.rng.random() < 0.35:  # try other words
            at += timedelta(seconds=self.rng.randint(15, 90))
            self.search(
                at,
                query_text(self.rng, subject),
                user,
                anon,
                agent,
                source,
                click_share=0.12 if gap else 0.6,
                subject=subject,
            )

    def _pii(self, at: datetime) -> None:
        user, anon = self.visitor()
        text = self.rng.choice(PII_FORMS).format(
            order=f"2026{self.rng.randrange(10**8):08d}",
            phone=f"1{self.rng.choice('3456789')}{self.rng.randrange(10**9):09d}",
            email=f"li{self.rng.randrange(1000)}@qq.com",
        )
        self.search(at, text, user, anon, self.rng.choice(BROWSERS), "page", click_share=0.4)

    def _staff(self, at: datetime) -> None:
        staff = self.users[self.rng.choice((EDITOR, EXPERT))]  # the demo staff who search
        self.search(
            at,
            query_text(self.rng, self.pick(self.rng.random() < 0.3)),
            staff,
            None,
            BROWSERS[0],
            "page",
            click_share=0.5,
            is_staff=True,
        )

    def _bot(self, at: datetime) -> None:
        anon = f"{DEMO_ANON_PREFIX}bot-{self.rng.getrandbits(32):08x}"  # no cookies kept
        agent = self.rng.choice(BOT_AGENTS)
        for _ in range(self.rng.randint(1, 4)):
            self.search(at, query_text(self.rng, self.pick(False)), None, anon, agent, "page", 0)
            at += timedelta(seconds=self.rng.randint(1, 5))

    def _burst(self, at: datetime) -> None:
        """More searches in a minute than a person types: the rate rule flags the rest."""
        anon = f"{DEMO_ANON_PREFIX}{self.rng.getrandbits(64):016x}"
        for _ in range(26):
            self.search(
                at, query_text(self.rng, self.pick(False)), None, anon, BROWSERS[0], "page", 0
            )
            at += timedelta(seconds=2)

    def _browse(self, at: datetime) -> None:
        """An article opened from the home or a category page (no search)."""
        user, anon = self.visitor()
        self.clock.at = at
        article = db.session.get(Article, self.pick(False).article_id)
        record_view(article, user.id if user else None, anon, None)
        if self.rng.random() < 0.05:
            self.vote(at + timedelta(minutes=2), article, user, anon, None)

    # -- the steps of a visit --------------------------------------------------------------

    def search(
        self,
        at: datetime,
        text: str,
        user: User | None,
        anon: str | None,
        agent: str,
        source: str,
        click_share: float,
        subject: Subject | None = None,
        is_staff: bool = False,
    ) -> bool:
        """One search through the real service (the engine's answer shared by the day's
        repeats of the same search); maybe a click (written when the day ends), a view and
        a vote. Returns whether a result was clicked."""
        rng, user_id = self.rng, user.id if user else None
        args = {"q": text}
        if subject and subject.article_id and rng.random() < 0.06:
            args["lang"] = subject.language
        elif rng.random() < 0.04:
            args["type"] = "article"
        params = parse_search_params(args)
        self.clock.at = at
        logged = run_search(
            params, user_id, anon, source, agent, is_staff, results=self.searches.results(params)
        )
        hits = logged.results.hits
        if not hits or rng.random() >= click_share:
            return False
        hit = rng.choices(hits, [1 / hit.rank**1.6 for hit in hits])[0]  # rank 1 most
        at += timedelta(seconds=rng.randint(4, 40))
        self.clock.at = at
        self.clicks.append(new_click(logged.search_id, hit.doc_type, hit.doc_id, hit.rank))
        if hit.doc_type == "article":
            article = db.session.get(Article, hit.doc_id)
            self.clock.at = at + timedelta(seconds=1)
            record_view(article, user_id, anon, logged.search_id)
            if rng.random() < 0.2:
                self.vote(
                    at + timedelta(seconds=rng.randint(40, 400)),
                    article,
                    user,
                    anon,
                    logged.search_id,
                )
        return True

    def vote(
        self,
        at: datetime,
        article: Article,
        user: User | None,
        anon: str | None,
        search_id: int | None,
    ) -> None:
        helpful = self.rng.random() < (0.35 if article.id in self.weak else 0.85)
        comment = self.rng.choice(YES_COMMENTS if helpful else NO_COMMENTS)
        self.clock.at = at
        record_vote(article, helpful, comment, user.id if user else None, anon, search_id)

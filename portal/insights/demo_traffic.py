"""The demo traffic itself: what customers look for, how they phrase it, and one day of
searches, clicks, views, votes, questions and answers made through the real services."""

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

from sqlalchemy import select

from portal.ask.services import attach_topic, record_open, start_session, suggest_for
from portal.experts.sweep import sweep
from portal.extensions import db
from portal.forum.services import ForumError, accept_answer, create_topic, reply
from portal.insights.query_reports import display_zone
from portal.kb.feedback import record_view, record_vote
from portal.models import (
    Article,
    Assignment,
    Category,
    Topic,
    User,
)
from portal.roles import EDITOR, EXPERT
from portal.searching.params import parse_search_params
from portal.searching.service import record_click, run_search

DEMO_ANON_PREFIX = "demo-"
CUSTOMER_EMAIL = "customer{}@example.com"
# Local hour of day (the portal's time zone) -> relative traffic: busy 10-12 and 20-22.
HOUR_WEIGHTS = (2, 1, 1, 0.5, 0.5, 0.5, 1, 2, 4, 6, 9, 10, 9, 6, 6, 6, 6, 5, 5, 6, 9, 10, 9, 5)
TICK_HOURS = range(1, 24, 2)  # when the router sweeps and experts work through their queue
BROWSERS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; V2307A) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Mobile Safari/537.36 MicroMessenger/8.0.47",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
)
APP_AGENT = "QingheNotes/4.2.1 (iPhone; iOS 17.4)"  # the mobile app calls the search API
BOT_AGENTS = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "python-requests/2.31.0",
    "curl/8.5.0",
)
ZH_FORMS = (
    "{}",
    "{}",
    "{}怎么办",
    "{}怎么弄",
    "请问{}",
    "{}在哪里",
    "{}要多久",
    "{} 不行",
    "{}求助",
)
TW_FORMS = ("{}", "{}", "{}怎麼辦", "請問{}", "{}要多久", "{}有問題")
EN_FORMS = ("{}", "{}", "how to {}", "{} not working", "{} help")
QUESTION_FORMS = (
    "{}怎么办？",
    "请问{}要怎么操作？",
    "{}一直不成功",
    "关于{}的问题",
    "{}有没有人遇到过？",
)
# Things customers ask about that the shipped articles do not cover: (phrases, weight,
# trend, category slug). Trend: flat, rising (grows through the period), late (starts midway).
GAPS = (
    (("以旧换新", "以旧换新怎么参加", "以舊換新", "以旧换新 补贴"), 1.0, "rising", "orders"),
    (("会员积分", "积分怎么用", "积分兑换", "會員積分 過期"), 1.0, "flat", "settings"),
    (("发票红冲", "红字发票", "发票冲红怎么弄"), 0.8, "flat", "invoices"),
    (("预售定金退款", "定金能退吗", "预售 定金 不想要了"), 0.6, "rising", "returns"),
    (("青禾笔记 Linux ARM", "linux arm64 安装包", "树莓派 青禾笔记"), 0.7, "late", "install"),
    (("批量导出PDF", "笔记导出 pdf", "export notes to pdf"), 0.9, "flat", "troubleshooting"),
    (("学生优惠", "教育版 折扣", "student discount"), 0.5, "flat", "licence"),
)
# Personal data typed into the box: the search path masks it before anything is stored.
PII_FORMS = (
    "订单号 DD{order} 退款进度",
    "{phone} 收不到验证码",
    "发票发到 {email} 没收到",
    "手机号 {phone} 怎么换绑",
    "order {order} not received",
)
NO_COMMENTS = (
    "步骤和现在的界面对不上",
    "说了等于没说，还是不知道怎么办",
    "没有提到我的情况",
    "太长了，找不到重点",
    "截图太旧了",
    "",
)
YES_COMMENTS = ("解决了，谢谢", "很清楚", "", "", "", "")
BODY_DETAILS = (
    "昨天开始就这样了，试了好几次。",
    "客服电话一直占线，只好来这里问。",
    "用的是 Windows 11，青禾笔记 4.2.1。",
    "在手机上操作的，找不到入口。",
    "急用，麻烦尽快回复，谢谢！",
)
ANSWERS = (
    "您好，可以先在“我的订单”里找到这笔订单，按页面提示操作；还不行的话请发截图上来。",
    "这是已知问题，下个版本修复。临时办法：退出账号重新登录，再同步一次。",
    "知识库里有步骤说明，按文章操作即可；如果某一步和界面对不上，请告诉我们是哪一步。",
)


@cache
def _to_traditional():
    """The simplified-to-traditional converter, built on first use: reading its tables cost
    every CLI command start-up time (this module is imported to register `demo` commands)."""
    from opencc import OpenCC

    return OpenCC("s2t")


@dataclass
class Subject:
    """Something customers look for: an article's title and tags, or a content gap."""

    phrases: tuple[str, ...]
    language: str = "zh-CN"
    article_id: int | None = None
    category_id: int | None = None
    tags: tuple[str, ...] = ()
    weight: float = 1.0
    trend: str = "flat"


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


def _typo(rng: random.Random, text: str) -> str:
    """A slip of the keyboard: swapped letters, or a dropped character (IME slip)."""
    chars = list(text)
    if len(chars) < 3:
        return text
    i = rng.randrange(len(chars) - 1)
    if chars[i].isascii() and chars[i + 1].isascii():
        chars[i], chars[i + 1] = chars[i + 1], chars[i]
    else:
        del chars[i]
    return "".join(chars)


class Traffic:
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

    def query(self, subject: Subject) -> str:
        rng = self.rng
        phrase = (
            rng.choice(subject.phrases[1:] or subject.phrases)
            if rng.random() < 0.8
            else subject.phrases[0]
        )
        if subject.article_id is None and rng.random() < 0.6:
            text = rng.choice(subject.phrases)  # gaps are mostly searched by their name
        elif subject.language == "en":
            text = rng.choice(EN_FORMS).format(phrase.lower())
        elif subject.language == "zh-TW":
            text = rng.choice(TW_FORMS).format(phrase)
        else:
            text = rng.choice(ZH_FORMS).format(phrase)
            if rng.random() < 0.2:
                text = _to_traditional().convert(text)
        return _typo(rng, text) if rng.random() < 0.07 else text

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

    def _visit(self, at: datetime) -> None:
        user, anon = self.visitor()
        gap = self.rng.random() < 0.18
        subject = self.pick(gap)
        agent, source = (
            (APP_AGENT, "api") if self.rng.random() < 0.1 else (self.rng.choice(BROWSERS), "page")
        )
        clicked = self.search(
            at,
            self.query(subject),
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
                self.query(subject),
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
            self.query(self.pick(self.rng.random() < 0.3)),
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
            self.search(at, self.query(self.pick(False)), None, anon, agent, "page", 0)
            at += timedelta(seconds=self.rng.randint(1, 5))

    def _burst(self, at: datetime) -> None:
        """More searches in a minute than a person types: the rate rule flags the rest."""
        anon = f"{DEMO_ANON_PREFIX}{self.rng.getrandbits(64):016x}"
        for _ in range(26):
            self.search(at, self.query(self.pick(False)), None, anon, BROWSERS[0], "page", 0)
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
        """One search through the real service; maybe a click, a view and a vote. Returns
        whether a result was clicked."""
        rng, user_id = self.rng, user.id if user else None
        args = {"q": text}
        if subject and subject.article_id and rng.random() < 0.06:
            args["lang"] = subject.language
        elif rng.random() < 0.04:
            args["type"] = "article"
        self.clock.at = at
        logged = run_search(parse_search_params(args), user_id, anon, source, agent, is_staff)
        hits = logged.results.hits
        if not hits or rng.random() >= click_share:
            return False
        hit = rng.choices(hits, [1 / hit.rank**1.6 for hit in hits])[0]  # rank 1 most
        at += timedelta(seconds=rng.randint(4, 40))
        self.clock.at = at
        record_click(logged.log, hit.doc_type, hit.doc_id, hit.rank)
        if hit.doc_type == "article":
            article = db.session.get(Article, hit.doc_id)
            self.clock.at = at + timedelta(seconds=1)
            record_view(article, user_id, anon, logged.log.id)
            if rng.random() < 0.2:
                self.vote(
                    at + timedelta(seconds=rng.randint(40, 400)), article, user, anon, logged.log.id
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
            suggestions = suggest_for(session, title[:cut])
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
            .where(Topic.routing_state == "answered", Topic.accepted_post_id.is_(None))
            .order_by(Topic.id)
        ).all():
            if topic.id in self.decided:
                continue
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

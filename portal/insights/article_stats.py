"""Per-article figures for a date range: views, searches that led there, helpful votes and
the comments readers left (never who left them)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import case, func, select

from portal.extensions import db
from portal.insights.ranges import DateRange
from portal.insights.tables import Table
from portal.kb.feedback import REASONS, reason_label
from portal.models import Article, ArticleFeedback, ArticleView, SearchLog
from portal.template_helpers import status_label

TOP_QUERIES = 10


@dataclass
class ArticleStat:
    article_id: int
    title: str
    status: str
    views: int = 0
    from_search: int = 0  # distinct searches whose result click led to a view
    yes: int = 0
    no: int = 0
    comments: int = 0

    @property
    def votes(self) -> int:
        return self.yes + self.no

    @property
    def helpful_percent(self) -> float | None:
        return round(self.yes * 100 / self.votes, 1) if self.votes else None


def _in_range(column, rng: DateRange):
    return (column >= rng.start_at) & (column < rng.end_at)


def _view_counts(rng: DateRange, article_id: int | None = None):
    query = (
        select(
            ArticleView.article_id,
            func.count(ArticleView.id),
            func.count(ArticleView.search_id.distinct()),
        )
        .where(_in_range(ArticleView.created_at, rng))
        .group_by(ArticleView.article_id)
    )
    if article_id is not None:
        query = query.where(ArticleView.article_id == article_id)
    return {a: (views, searches) for a, views, searches in db.session.execute(query)}


def _vote_counts(rng: DateRange, article_id: int | None = None):
    query = (
        select(
            ArticleFeedback.article_id,
            func.sum(case((ArticleFeedback.helpful.is_(True), 1), else_=0)),
            func.sum(case((ArticleFeedback.helpful.is_(False), 1), else_=0)),
            func.sum(case((ArticleFeedback.comment != "", 1), else_=0)),
        )
        .where(_in_range(ArticleFeedback.created_at, rng))
        .group_by(ArticleFeedback.article_id)
    )
    if article_id is not None:
        query = query.where(ArticleFeedback.article_id == article_id)
    return {a: (yes or 0, no or 0, c or 0) for a, yes, no, c in db.session.execute(query)}


def article_stats(rng: DateRange, article_id: int | None = None) -> list[ArticleStat]:
    """Articles viewed or voted on in the range, most viewed first."""
    views = _view_counts(rng, article_id)
    votes = _vote_counts(rng, article_id)
    ids = set(views) | set(votes)
    if not ids:
        return []
    articles = db.session.execute(
        select(Article.id, Article.title, Article.status).where(Article.id.in_(ids))
    )
    stats = []
    for aid, title, status in articles:
        stat = ArticleStat(aid, title, status)
        stat.views, stat.from_search = views.get(aid, (0, 0))
        stat.yes, stat.no, stat.comments = votes.get(aid, (0, 0, 0))
        stats.append(stat)
    stats.sort(key=lambda s: (-s.views, -s.from_search, s.title, s.article_id))
    return stats


def articles_table(rng: DateRange) -> Table:
    """Every article with activity in the range; the first column is the article id."""
    return Table(
        name="articles",
        title=_("Articles"),
        columns=[
            _("ID"),
            _("Article"),
            _("Status"),
            _("Views"),
            _("Searches that led here"),
            _("Helpful: yes"),
            _("Helpful: no"),
            _("Helpful %"),
            _("Comments"),
        ],
        rows=[
            [
                s.article_id,
                s.title,
                status_label(s.status),
                s.views,
                s.from_search,
                s.yes,
                s.no,
                s.helpful_percent,
                s.comments,
            ]
            for s in article_stats(rng)
        ],
        note=_(
            "Searches that led here counts each search once, however often its result was opened."
        ),
    )


def worst_helpful_table(rng: DateRange, min_votes: int = 3) -> Table:
    """Articles with at least ``min_votes`` votes in the range, least helpful first."""
    stats = [s for s in article_stats(rng) if s.votes >= min_votes]
    stats.sort(key=lambda s: (s.yes / s.votes, -s.votes, s.title, s.article_id))
    return Table(
        name="least-helpful",
        title=_("Least helpful articles"),
        columns=[
            _("ID"),
            _("Article"),
            _("Helpful: yes"),
            _("Helpful: no"),
            _("Votes"),
            _("Helpful %"),
        ],
        rows=[[s.article_id, s.title, s.yes, s.no, s.votes, s.helpful_percent] for s in stats],
        note=_("Only articles with at least %(n)d votes in this range.", n=min_votes),
    )


def reasons_table(article: Article, rng: DateRange) -> Table:
    """Why readers voted "not helpful" in the range: each reason with its count, most first
    (a "no" without a reason counts as not given)."""
    count = func.count(ArticleFeedback.id)
    found = dict(
        db.session.execute(
            select(ArticleFeedback.reason, count)
            .where(
                ArticleFeedback.article_id == article.id,
                ArticleFeedback.helpful.is_(False),
                _in_range(ArticleFeedback.created_at, rng),
            )
            .group_by(ArticleFeedback.reason)
        ).all()
    )
    given = sorted(((key, found.get(key, 0)) for key in REASONS), key=lambda kv: -kv[1])
    rows = [[reason_label(key), n] for key, n in given if n]
    unknown = sum(n for key, n in found.items() if key not in REASONS)
    if unknown:
        rows.append([_("No reason given"), unknown])
    return Table(
        name="reasons",
        title=_("Why it was not helpful"),
        columns=[_("Reason"), _("Votes")],
        rows=rows,
    )


def comments_table(article: Article, rng: DateRange) -> Table:
    """Readers' comments in the range, newest first: text, date, vote and reason, never the
    reader."""
    rows = db.session.execute(
        select(
            ArticleFeedback.created_at,
            ArticleFeedback.helpful,
            ArticleFeedback.reason,
            ArticleFeedback.comment,
        )
        .where(
            ArticleFeedback.article_id == article.id,
            ArticleFeedback.comment != "",
            _in_range(ArticleFeedback.created_at, rng),
        )
        .order_by(ArticleFeedback.created_at.desc(), ArticleFeedback.id.desc())
    )
    return Table(
        name="comments",
        title=_("Comments"),
        columns=[_("Date"), _("Helpful"), _("Reason"), _("Comment")],
        rows=[
            [
                at.strftime("%Y-%m-%d %H:%M"),
                _("Yes") if helpful else _("No"),
                reason_label(reason),
                comment,
            ]
            for at, helpful, reason, comment in rows
        ],
    )


def queries_table(article: Article, rng: DateRange) -> Table:
    """The searches (bots and staff left out) whose results led readers to the article."""
    count = func.count(SearchLog.id.distinct())
    rows = db.session.execute(
        select(SearchLog.query_normalized, count)
        .join(ArticleView, ArticleView.search_id == SearchLog.id)
        .where(
            ArticleView.article_id == article.id,
            _in_range(ArticleView.created_at, rng),
            SearchLog.is_bot.is_(False),
            SearchLog.is_staff.is_(False),
        )
        .group_by(SearchLog.query_normalized)
        .order_by(count.desc(), SearchLog.query_normalized)
        .limit(TOP_QUERIES)
    )
    return Table(
        name="queries",
        title=_("Searches that led here"),
        columns=[_("Query"), _("Searches")],
        rows=[[query, n] for query, n in rows],
    )


def article_detail(article: Article, rng: DateRange) -> dict:
    """The figures, comments and leading queries of one article in the range."""
    found = article_stats(rng, article.id)
    return {
        "stat": found[0] if found else ArticleStat(article.id, article.title, article.status),
        "reasons": reasons_table(article, rng),
        "comments": comments_table(article, rng),
        "queries": queries_table(article, rng),
    }

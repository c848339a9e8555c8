"""'People who read this also read': articles the same visitors opened in the last 30 days.

A visitor is a user id or an anonymous session id. Two logs say what a visitor read: page
views (ArticleView) and clicks on search results (SearchClick, whose search names the
visitor). Visitors seen as bots in the search log are left out; the page view log itself
cannot tell a bot."""

import logging
from collections import defaultdict
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select

from portal.clock import now
from portal.extensions import db
from portal.models import Article, ArticleView, SearchClick, SearchLog
from portal.searching.refresh import TimedCache
from portal.shared_cache import cached_json

logger = logging.getLogger(__name__)

WINDOW = timedelta(days=30)
MIN_CO_VISITORS = 2  # one person's reading path is not a pattern
LIMIT = 5
MAX_VISITORS = 2000  # enough readers to see a pattern; keeps the IN lists bounded

_cache = TimedCache("also_read", "ALSO_READ_CACHE_SECONDS")

Visitor = tuple[str, int | str]  # ("u", user id) or ("a", anonymous id)


def _visitor(user_id: int | None, anon_id: str | None) -> Visitor | None:
    if user_id is not None:
        return ("u", user_id)
    return ("a", anon_id) if anon_id else None


def _readings(since, article_id: int | None = None, visitors=None):
    """(visitor, article id) pairs from page views and result clicks since ``since``, for
    one article or for the given visitors."""
    views = select(ArticleView.user_id, ArticleView.anon_id, ArticleView.article_id).where(
        ArticleView.created_at >= since
    )
    clicks = (
        select(SearchLog.user_id, SearchLog.anon_id, SearchClick.doc_id)
        .join(SearchLog, SearchLog.id == SearchClick.search_id)
        .where(
            SearchClick.doc_type == "article",
            SearchClick.created_at >= since,
            SearchLog.is_bot.is_(False),
        )
    )
    if article_id is not None:
        views = views.where(ArticleView.article_id == article_id)
        clicks = clicks.where(SearchClick.doc_id == article_id)
    if visitors is not None:
        users = [key for kind, key in visitors if kind == "u"] or [-1]
        anons = [key for kind, key in visitors if kind == "a"] or [""]
        views = views.where(or_(ArticleView.user_id.in_(users), ArticleView.anon_id.in_(anons)))
        clicks = clicks.where(or_(SearchLog.user_id.in_(users), SearchLog.anon_id.in_(anons)))
    for query in (views, clicks):
        for user_id, anon_id, read_id in db.session.execute(query):
            visitor = _visitor(user_id, anon_id)
            if visitor is not None:
                yield visitor, read_id


def _bot_visitors(since) -> set[Visitor]:
    rows = db.session.execute(
        select(SearchLog.user_id, SearchLog.anon_id)
        .distinct()
        .where(SearchLog.is_bot.is_(True), SearchLog.created_at >= since)
    )
    return {v for v in (_visitor(u, a) for u, a in rows) if v is not None}


def also_read_ids(
    article_id: int, limit: int = LIMIT, min_co_visitors: int = MIN_CO_VISITORS
) -> list[int]:
    """Published articles read by at least ``min_co_visitors`` of this article's readers in
    the last 30 days, most shared readers first (then most viewed)."""
    since = now() - WINDOW
    bots = _bot_visitors(since)
    readers = {v for v, _a in _readings(since, article_id=article_id) if v not in bots}
    if not readers:
        return []
    readers = set(list(readers)[:MAX_VISITORS])
    shared: dict[int, set[Visitor]] = defaultdict(set)
    for visitor, read_id in _readings(since, visitors=readers):
        if read_id != article_id and visitor in readers:
            shared[read_id].add(visitor)
    counts = {read_id: len(v) for read_id, v in shared.items() if len(v) >= min_co_visitors}
    if not counts:
        return []
    views = dict(
        db.session.execute(
            select(Article.id, Article.view_count).where(
                Article.id.in_(counts), Article.status == "published"
            )
        ).all()
    )
    ranked = sorted(views, key=lambda read_id: (-counts[read_id], -views[read_id], read_id))
    return ranked[:limit]


def also_read_articles(article: Article) -> list[Article]:
    """The also-read list for the article page; the ids are cached for a few minutes
    (ALSO_READ_CACHE_SECONDS) in the process and, with Redis, shared by every host; the
    articles re-read so an unpublished one drops out at once."""
    ttl = int(_cache.ttl(current_app))
    ids = _cache.get(
        article.id,
        lambda: cached_json(f"also-read:{article.id}", ttl, lambda: also_read_ids(article.id)),
    )
    if not ids:
        return []
    found = {
        a.id: a
        for a in db.session.scalars(
            select(Article).where(Article.id.in_(ids), Article.status == "published")
        )
    }
    return [found[i] for i in ids if i in found]

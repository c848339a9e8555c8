"""Helpful votes and page views: one vote per user or anonymous session per article."""

from datetime import timedelta

from sqlalchemy import select

from portal.clock import now
from portal.extensions import db
from portal.indexing.outbox import commit_and_index, enqueue
from portal.models import Article, ArticleFeedback, ArticleView, SearchLog

VIEW_DEDUP_WINDOW = timedelta(minutes=30)
MAX_ROW_ID = 2**63 - 1  # the largest SQL INTEGER: a bigger ?sid= cannot name a search


def _identity_filter(model, user_id: int | None, anon_id: str | None):
    return model.user_id == user_id if user_id is not None else model.anon_id == anon_id


def valid_search_id(search_id: int | None) -> int | None:
    """Keep a search id from a URL only if that search exists."""
    if search_id is None or not 0 < search_id <= MAX_ROW_ID:
        return None
    if db.session.get(SearchLog, search_id) is None:
        return None
    return search_id


def record_vote(
    article: Article,
    helpful: bool,
    comment: str,
    user_id: int | None,
    anon_id: str | None,
    search_id: int | None = None,
) -> ArticleFeedback:
    """Create or change this visitor's vote and keep the article's counters in step."""
    vote = db.session.scalar(
        select(ArticleFeedback).where(
            ArticleFeedback.article_id == article.id,
            _identity_filter(ArticleFeedback, user_id, anon_id),
        )
    )
    if vote is None:
        vote = ArticleFeedback(article_id=article.id, user_id=user_id, anon_id=anon_id,
                               helpful=helpful, search_id=valid_search_id(search_id))
        db.session.add(vote)
    else:
        vote.helpful = helpful  # changing one's mind is allowed
    if comment:
        vote.comment = comment.strip()[:1000]
    vote.created_at = now()
    db.session.flush()
    _recount(article)
    enqueue("article", article.id)  # the helpful ratio is a ranking signal
    commit_and_index()
    return vote


def _recount(article: Article) -> None:
    votes = db.session.scalars(
        select(ArticleFeedback.helpful).where(ArticleFeedback.article_id == article.id)
    ).all()
    article.helpful_yes = sum(1 for v in votes if v)
    article.helpful_no = sum(1 for v in votes if not v)


def current_vote(article: Article, user_id: int | None, anon_id: str | None):
    return db.session.scalar(
        select(ArticleFeedback).where(
            ArticleFeedback.article_id == article.id,
            _identity_filter(ArticleFeedback, user_id, anon_id),
        )
    )


def record_view(
    article: Article, user_id: int | None, anon_id: str | None, search_id: int | None
) -> None:
    """Log the view (tied to the search that led here); count it once per visitor per window."""
    at = now()
    recent = db.session.scalar(
        select(ArticleView.id).where(
            ArticleView.article_id == article.id,
            _identity_filter(ArticleView, user_id, anon_id),
            ArticleView.created_at > at - VIEW_DEDUP_WINDOW,
        ).limit(1)
    )
    search_id = valid_search_id(search_id)
    if recent is not None and search_id is None:
        return
    db.session.add(ArticleView(article_id=article.id, user_id=user_id, anon_id=anon_id,
                               search_id=search_id, created_at=at))
    if recent is None:
        article.view_count += 1
    db.session.commit()

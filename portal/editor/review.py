"""Keeping articles right: each has an owner and a review-by date, and editors get one list
of what needs a look — overdue reviews, articles readers found unhelpful or reported
outdated, and translations behind their original — most read first."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased

from portal.audit.services import record
from portal.extensions import db
from portal.models import Article, ArticleFeedback, ArticleRevision, User
from portal.roles import EDITOR_ROLES

REVIEW_INTERVAL_DAYS = 180  # the default time from publishing (or a review) to the next one
# Readers' "not helpful" votes that put an article on the list: at least this many, and more
# than its "helpful" votes.
UNHELPFUL_MIN_VOTES = 3
# "Not helpful: it is outdated" votes since the article's last change that put it on the
# list, however many found it helpful: one reader can be wrong, two rarely are.
REPORTED_OUTDATED_MIN = 2
REASONS = {
    "due": _l("Review date passed"),
    "unhelpful": _l("Readers found it unhelpful"),
    "reported": _l("Readers reported it outdated"),
    "outdated": _l("Translation behind its original"),
}


class ReviewError(ValueError):
    """A review setting that cannot be saved; the message is shown to the editor."""


def review_due(article: Article) -> date | None:
    """The date the article should be reviewed by (None for one never published)."""
    if article.review_by is not None:
        return article.review_by
    if article.published_at is None:
        return None
    return article.published_at.date() + timedelta(days=REVIEW_INTERVAL_DAYS)


@dataclass
class ReviewItem:
    article: Article
    reasons: list[str] = field(default_factory=list)  # keys of REASONS


def needs_review(today: date) -> list[ReviewItem]:
    """Published articles needing a look, each with its reasons, most viewed first."""
    published = select(Article).where(Article.status == "published")
    overdue = published.where(
        or_(
            Article.review_by <= today,
            and_(
                Article.review_by.is_(None),
                Article.published_at <= today - timedelta(days=REVIEW_INTERVAL_DAYS),
            ),
        )
    )
    unhelpful = published.where(
        Article.helpful_no >= UNHELPFUL_MIN_VOTES, Article.helpful_no > Article.helpful_yes
    )
    last_change = (
        select(func.max(ArticleRevision.created_at))
        .where(ArticleRevision.article_id == Article.id)
        .scalar_subquery()
    )
    reports = (
        select(func.count())
        .select_from(ArticleFeedback)
        .where(
            ArticleFeedback.article_id == Article.id,
            ArticleFeedback.helpful.is_(False),
            ArticleFeedback.reason == "outdated",
            ArticleFeedback.created_at > func.coalesce(last_change, Article.created_at),
        )
        .scalar_subquery()
    )
    reported = published.where(reports >= REPORTED_OUTDATED_MIN)
    original = aliased(Article)
    latest = (
        select(func.max(ArticleRevision.number))
        .where(ArticleRevision.article_id == original.id)
        .scalar_subquery()
    )
    outdated = published.join(original, Article.translation_of_id == original.id).where(
        latest > func.coalesce(Article.source_revision, 0)
    )
    items: dict[int, ReviewItem] = {}
    feeds = (
        ("due", overdue),
        ("unhelpful", unhelpful),
        ("reported", reported),
        ("outdated", outdated),
    )
    for reason, query in feeds:
        for article in db.session.scalars(query):
            items.setdefault(article.id, ReviewItem(article)).reasons.append(reason)
    return sorted(items.values(), key=lambda item: (-item.article.view_count, item.article.id))


def owner_choices() -> list[tuple[int, str]]:
    """Editors and admins who can own articles, by name."""
    users = db.session.scalars(
        select(User)
        .where(User.role.in_(EDITOR_ROLES), User.active)
        .order_by(User.display_name, User.id)
    )
    return [(user.id, user.display_name or user.email) for user in users]


def set_review(article: Article, owner_id: int | None, review_by: date | None, actor: User) -> None:
    """Change the owner and the review-by date (audited); the owner must be an editor."""
    if owner_id is not None and owner_id not in dict(owner_choices()):
        raise ReviewError(_l("The owner must be an active editor or admin."))
    before = {"owner_id": article.owner_id, "review_by": str(article.review_by or "")}
    article.owner_id, article.review_by = owner_id, review_by
    record(
        actor,
        "article.review_settings",
        "article",
        article.id,
        article.title,
        before,
        {"owner_id": owner_id, "review_by": str(review_by or "")},
    )
    db.session.commit()


def mark_reviewed(article: Article, actor: User, today: date) -> date:
    """The article was checked today: next review REVIEW_INTERVAL_DAYS from now (audited)."""
    next_review = today + timedelta(days=REVIEW_INTERVAL_DAYS)
    before = {"review_by": str(article.review_by or "")}
    article.review_by = next_review
    record(
        actor,
        "article.reviewed",
        "article",
        article.id,
        article.title,
        before,
        {"review_by": str(next_review)},
    )
    db.session.commit()
    return next_review

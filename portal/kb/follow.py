"""Following a knowledge-base article: the follower is told (bell and mail) when it changes.

Only changes a reader can see count: a published article saved with new content, or
restored to an earlier revision. The person who made the change is not told."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.clock import now
from portal.extensions import db
from portal.models import Article, User, Watch
from portal.notify.services import notify


def article_watch(user_id: int, article_id: int) -> Watch | None:
    return db.session.scalar(
        select(Watch).where(Watch.user_id == user_id, Watch.article_id == article_id)
    )


def toggle_article_watch(user: User, article: Article) -> bool:
    """Follow or stop following; returns whether the user now follows the article."""
    existing = article_watch(user.id, article.id)
    if existing is not None:
        db.session.delete(existing)
    else:
        db.session.add(Watch(user_id=user.id, article_id=article.id, created_at=now()))
    db.session.commit()
    return existing is None


def followed_articles(user_id: int) -> list[Article]:
    """Published articles the user follows, most recently updated first."""
    return list(
        db.session.scalars(
            select(Article)
            .join(Watch, Watch.article_id == Article.id)
            .where(Watch.user_id == user_id, Article.status == "published")
            .order_by(Article.updated_at.desc())
        )
    )


def notify_followers(article: Article, actor_id: int | None) -> int:
    """Tell the article's followers it was updated (the caller commits); 0 unless published."""
    if article.status != "published" or article.id is None:
        return 0
    followers = db.session.scalars(select(Watch.user_id).where(Watch.article_id == article.id))
    message = str(_l("The article “%(title)s” you follow was updated.", title=article.title))
    return notify(followers, "article_updated", message, f"/a/{article.slug}", exclude=actor_id)

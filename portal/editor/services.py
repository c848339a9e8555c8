"""Writing articles: every save is a revision, and every change reaches the index."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.audit.services import record, snapshot
from portal.extensions import db
from portal.indexing.outbox import commit_and_index, enqueue
from portal.kb.follow import notify_followers
from portal.kb.queries import latest_revision_number
from portal.models import Article, ArticleRevision, Category, Tag
from portal.models._time import utcnow
from portal.models.kb import ARTICLE_STATUSES, LANGUAGES

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# What a save compares to decide "unchanged", and what the audit log keeps of an article.
ARTICLE_FIELDS = ("title", "summary", "body_md", "language", "status", "category_id", "slug")
STATUS_ACTIONS = {
    "published": "article.publish",
    "archived": "article.archive",
    "draft": "article.unpublish",
}


class ArticleError(ValueError):
    """A save that cannot be accepted; the message is shown to the editor."""


class EditConflict(ArticleError):
    """Someone else saved the article after this editor opened it."""


@dataclass
class ArticleData:
    title: str
    slug: str
    body_md: str
    category_id: int | None
    language: str = "zh-CN"
    status: str = "draft"
    summary: str = ""
    tags: list[str] = field(default_factory=list)


def clean_tags(names) -> list[str]:
    """Trimmed, de-duplicated tag names (order kept); commas and Chinese commas split."""
    seen: list[str] = []
    for raw in names:
        for name in re.split(r"[,，、]", raw):
            name = name.strip()[:50]
            if name and name.lower() not in [s.lower() for s in seen]:
                seen.append(name)
    return seen


def validate_fields(data: ArticleData) -> None:
    """The checks that need no database: title, slug form, status and language."""
    if not data.title.strip():
        raise ArticleError(_l("A title is required."))
    if not SLUG_RE.match(data.slug or ""):
        raise ArticleError(_l("The slug may hold only lower-case letters, digits and hyphens."))
    if data.status not in ARTICLE_STATUSES:
        raise ArticleError(_l("Unknown status: %(status)s.", status=data.status))
    if data.language not in LANGUAGES:
        raise ArticleError(_l("Unknown language: %(language)s.", language=data.language))


def validate(data: ArticleData, article: Article | None) -> None:
    validate_fields(data)
    clash = db.session.scalar(select(Article).where(Article.slug == data.slug))
    if clash is not None and clash is not article:
        raise ArticleError(
            _l("The slug “%(slug)s” is already used by another article.", slug=data.slug)
        )
    if data.category_id is not None and db.session.get(Category, data.category_id) is None:
        raise ArticleError(_l("That category does not exist."))


def _tags(names: list[str]) -> list[Tag]:
    tags = []
    for name in clean_tags(names):
        tag = db.session.scalar(select(Tag).where(func.lower(Tag.name) == name.lower()))
        if tag is None:
            tag = Tag(name=name)
            db.session.add(tag)
        tags.append(tag)
    return tags


def snapshot_article(article: Article) -> dict:
    """What a save compares to decide "unchanged", and what the audit log keeps."""
    return {**snapshot(article, ARTICLE_FIELDS), "tags": sorted(article.tag_names)}


def save_article(
    article: Article | None,
    data: ArticleData,
    author_id: int | None,
    note: str = "",
    base_revision: int | None = None,
    index_now: bool = True,
) -> tuple[Article, bool]:
    """Create or update an article; returns (article, changed). An unchanged save writes
    nothing. ``base_revision`` is the revision the editor started from: if someone saved
    since, the save is refused rather than silently overwriting their work."""
    validate(data, article)
    if (
        article is not None
        and base_revision is not None
        and latest_revision_number(article) != base_revision
    ):
        raise EditConflict(
            _l(
                "Someone else saved this article after you opened it. Your text is kept "
                "below; open the revision list to compare, then save again."
            )
        )
    creating = article is None
    if creating:
        article = Article(author_id=author_id, owner_id=author_id)
        db.session.add(article)
    before = None if creating else snapshot_article(article)
    assign(article, data)
    after = snapshot_article(article)
    if not creating and after == before:
        db.session.rollback()
        return article, False
    _add_revision(article, author_id, note)
    if author_id is not None:  # an import without an author is summed up by its command
        record(
            author_id,
            "article.create" if creating else "article.update",
            "article",
            article.id,
            article.title,
            before,
            after,
        )
    if not creating:
        notify_followers(article, author_id)
    _finish(index_now)
    return article, True


def assign(
    article: Article, data: ArticleData, find_tags: Callable[[list[str]], list[Tag]] = _tags
) -> None:
    """Copy ``data`` onto ``article`` (tags through ``find_tags``), flushing nothing."""
    with db.session.no_autoflush:
        article.title = data.title.strip()
        article.slug = data.slug
        article.summary = (data.summary or "").strip()
        article.body_md = data.body_md
        article.language = data.language
        article.category_id = data.category_id
        article.tags = find_tags(data.tags)
        _set_status(article, data.status)


def _set_status(article: Article, status: str) -> None:
    if status == "published" and article.status != "published":
        article.published_at = utcnow()
    article.status = status


def _add_revision(article: Article, author_id: int | None, note: str) -> ArticleRevision:
    db.session.flush()  # gives a new article its id
    article.updated_at = utcnow()
    revision = ArticleRevision(
        article_id=article.id,
        number=latest_revision_number(article) + 1,
        **revision_values(article, author_id, note),
    )
    db.session.add(revision)
    enqueue("article", article.id)
    return revision


def revision_values(article: Article, author_id: int | None, note: str) -> dict:
    """A revision's columns but its article and number: the article as it is now."""
    return dict(
        title=article.title,
        summary=article.summary,
        body_md=article.body_md,
        language=article.language,
        status=article.status,
        category_id=article.category_id,
        tags=",".join(article.tag_names),
        note=(note or "").strip()[:300],
        author_id=author_id,
    )


def _finish(index_now: bool) -> None:
    if index_now:
        commit_and_index()
    else:
        db.session.commit()


def change_status(
    article: Article,
    status: str,
    author_id: int | None,
    note: str = "",
    replaced_by: Article | None = None,
) -> bool:
    """Publish, archive or send back to draft; recorded as a revision. False if unchanged.
    Archiving may name the published article that replaces this one."""
    if status not in ARTICLE_STATUSES:
        raise ArticleError(_l("Unknown status: %(status)s.", status=status))
    if replaced_by is not None and (
        status != "archived" or replaced_by is article or replaced_by.status != "published"
    ):
        raise ArticleError(_l("The replacement must be another, published article."))
    if article.status == status:
        return False
    before = {"status": article.status, "published_at": article.published_at}
    article.replaced_by_id = replaced_by.id if replaced_by is not None else None
    _set_status(article, status)
    _add_revision(article, author_id, note or f"Status: {status}")
    record(
        author_id,
        STATUS_ACTIONS[status],
        "article",
        article.id,
        article.title,
        before,
        {"status": article.status, "published_at": article.published_at},
    )
    _finish(True)
    return True


def restore_revision(article: Article, number: int, author_id: int | None) -> ArticleRevision:
    """Make an old revision's content current again, as a new revision (history is kept)."""
    old = db.session.scalar(
        select(ArticleRevision).where(
            ArticleRevision.article_id == article.id, ArticleRevision.number == number
        )
    )
    if old is None:
        raise ArticleError(_l("Revision %(number)d does not exist.", number=number))
    before = snapshot_article(article)
    with db.session.no_autoflush:
        article.title = old.title
        article.summary = old.summary
        article.body_md = old.body_md
        article.language = old.language
        if old.category_id is None or db.session.get(Category, old.category_id) is not None:
            article.category_id = old.category_id
        article.tags = _tags(old.tags.split(",") if old.tags else [])
    revision = _add_revision(article, author_id, f"Restored revision {number}")
    notify_followers(article, author_id)
    record(
        author_id,
        "article.restore",
        "article",
        article.id,
        f"{article.title} (revision {number} → {revision.number})",
        before,
        snapshot_article(article),
    )
    _finish(True)
    return revision

"""Knowledge base: categories (a tree shared with the forum), tags, articles and their history."""

from datetime import date, datetime

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models._time import utcnow

ARTICLE_STATUSES = ("draft", "published", "archived")
LANGUAGES = ("zh-CN", "zh-TW", "en")
# Each article language named in its own script, for readers and pickers.
LANGUAGE_NAMES = {"zh-CN": "简体中文", "zh-TW": "繁體中文", "en": "English"}

article_tags = Table(
    "article_tags",
    db.metadata,
    Column("article_id", ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


class Category(db.Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    description: Mapped[str] = mapped_column(String(500), default="")
    description_en: Mapped[str] = mapped_column(String(500), default="", server_default="")
    position: Mapped[int] = mapped_column(default=0)
    # Forum questions here should get a first expert response within this many hours
    # (None: the portal-wide default).
    first_response_hours: Mapped[int | None]

    parent: Mapped["Category | None"] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Category"]] = relationship(
        back_populates="parent", order_by="Category.position"
    )

    def ancestors(self) -> list["Category"]:
        """Root first, this category excluded (for breadcrumbs)."""
        chain, node = [], self.parent
        while node is not None and node not in chain:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))

    def chain_ids(self) -> list[int]:
        """The ids of its ancestors, root first, then its own (a search document's
        category_ids: a filter on a category also finds what its sub-categories hold)."""
        return [c.id for c in self.ancestors()] + [self.id]

    def display_name(self, locale: str) -> str:
        return self.name_en if locale.startswith("en") and self.name_en else self.name

    def display_description(self, locale: str) -> str:
        """The English description for English readers, else (or when empty) the Chinese."""
        if locale.startswith("en") and self.description_en:
            return self.description_en
        return self.description


class Tag(db.Model):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)


class Article(db.Model):
    __tablename__ = "articles"
    # Covers the category tree's published-article counts (migration 0007).
    __table_args__ = (Index("ix_articles_status_category", "status", "category_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500), default="")
    body_md: Mapped[str] = mapped_column(Text, default="")
    # Rendered on save (models/rendered.py); toc_html is empty when there are no headings.
    body_html: Mapped[str | None] = mapped_column(Text)
    toc_html: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(10), default="zh-CN")
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    published_at: Mapped[datetime | None]
    view_count: Mapped[int] = mapped_column(default=0)
    helpful_yes: Mapped[int] = mapped_column(default=0)
    helpful_no: Mapped[int] = mapped_column(default=0)
    # Where `flask kb import` left the article: the revision its last import made and the
    # SHA-256 of that file. A later revision was made on the web, so import keeps off it.
    imported_revision: Mapped[int | None]
    source_hash: Mapped[str | None] = mapped_column(String(64))
    # Translations: the article this one translates (always a group's original), and the
    # original's revision it was last brought up to date with (portal/kb/translations.py).
    translation_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL"), index=True
    )
    source_revision: Mapped[int | None]
    # Who keeps the article right, and when it is due for review (portal/editor/review.py;
    # unset: REVIEW_INTERVAL_DAYS after publishing).
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    review_by: Mapped[date | None]
    # An archived article's successor: readers of the old address are sent there.
    replaced_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL")
    )

    category: Mapped[Category | None] = relationship()
    owner = relationship("User", foreign_keys=[owner_id])
    translation_of: Mapped["Article | None"] = relationship(
        remote_side=[id], foreign_keys=[translation_of_id]
    )
    replaced_by: Mapped["Article | None"] = relationship(
        remote_side=[id], foreign_keys=[replaced_by_id]
    )
    tags: Mapped[list[Tag]] = relationship(secondary=article_tags, order_by=Tag.name)
    revisions: Mapped[list["ArticleRevision"]] = relationship(
        back_populates="article", order_by="ArticleRevision.number.desc()"
    )
    citations: Mapped[list["ArticleCitation"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def tag_names(self) -> list[str]:
        return [t.name for t in self.tags]

    @property
    def helpful_ratio(self) -> float | None:
        votes = self.helpful_yes + self.helpful_no
        return self.helpful_yes / votes if votes else None


class ArticleCitation(db.Model):
    """A title an article's text cites as 《title》 (portal/kb/cross_refs.py): when an article
    of that title is published, the articles citing it are one indexed lookup away rather
    than a scan of every article's HTML (which made each import quadratic)."""

    __tablename__ = "article_citations"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    title: Mapped[str] = mapped_column(String(200), primary_key=True, index=True)


class ArticleRevision(db.Model):
    """A full snapshot of an article after one save: who, when, why."""

    __tablename__ = "article_revisions"
    __table_args__ = (UniqueConstraint("article_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500), default="")
    body_md: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    tags: Mapped[str] = mapped_column(String(500), default="")  # comma-separated snapshot
    note: Mapped[str] = mapped_column(String(300), default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    article: Mapped[Article] = relationship(back_populates="revisions")
    author = relationship("User")


class ArticleFeedback(db.Model):
    """'Was this helpful?' — one vote per visitor (portal.visitor.visitor_key) per article."""

    __tablename__ = "article_feedback"
    __table_args__ = (
        UniqueConstraint("article_id", "user_id"),
        UniqueConstraint("article_id", "anon_id"),
        UniqueConstraint("article_id", "voter_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    anon_id: Mapped[str | None] = mapped_column(String(64))
    # The account, or for anonymous voters their network (a fresh cookie is not a new voter).
    voter_key: Mapped[str | None] = mapped_column(String(64))
    helpful: Mapped[bool]
    # Why a "no" vote: a key of portal.kb.feedback.REASONS (None: not given, or a "yes").
    reason: Mapped[str | None] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(String(1000), default="")
    search_id: Mapped[int | None] = mapped_column(ForeignKey("search_logs.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ArticleView(db.Model):
    """One article page view, tied to the search that led to it when there was one."""

    __tablename__ = "article_views"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    anon_id: Mapped[str | None] = mapped_column(String(64))
    search_id: Mapped[int | None] = mapped_column(ForeignKey("search_logs.id"), index=True)
    visitor_key: Mapped[str | None] = mapped_column(String(64))  # who, for counting once
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ArticleImage(db.Model):
    """An image an editor uploaded for articles: stored outside static/ under a random name,
    served from our own origin (portal/editor/images.py)."""

    __tablename__ = "article_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

"""Community forum: topics (questions or discussions), posts, votes, edits, flags, watches."""

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models._time import utcnow
from portal.models.kb import Category, Tag

TOPIC_KINDS = ("question", "discussion")

topic_tags = Table(
    "topic_tags",
    db.metadata,
    Column("topic_id", ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


class Topic(db.Model):
    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="question")
    title: Mapped[str] = mapped_column(String(200))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    reply_count: Mapped[int] = mapped_column(default=0)
    view_count: Mapped[int] = mapped_column(default=0)
    accepted_post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", use_alter=True, name="fk_topics_accepted_post_id_posts")
    )
    locked: Mapped[bool] = mapped_column(default=False)
    hidden: Mapped[bool] = mapped_column(default=False)
    deleted_at: Mapped[datetime | None]
    # Routing: the asker may ask for an expert at once; first_response_at is set by the
    # first expert reply or accepted answer (what the first-response target measures).
    wants_expert: Mapped[bool] = mapped_column(default=False)
    first_response_at: Mapped[datetime | None]
    routing_state: Mapped[str] = mapped_column(String(20), default="waiting", index=True)
    # Until when the router's sweep leaves a waiting or unrouted question alone, unless the
    # digest it was held with goes stale (portal/experts/roster.py); NULL: its next pass.
    next_route_at: Mapped[datetime | None]
    route_digest: Mapped[str | None] = mapped_column(String(20))
    # A KB article made from this topic ("turn into an article").
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"))

    category: Mapped[Category | None] = relationship()
    author = relationship("User", foreign_keys=[author_id])
    tags: Mapped[list[Tag]] = relationship(secondary=topic_tags, order_by=Tag.name)
    posts: Mapped[list["Post"]] = relationship(
        back_populates="topic", foreign_keys="Post.topic_id", order_by="Post.id"
    )
    accepted_post: Mapped["Post | None"] = relationship(
        foreign_keys=[accepted_post_id], post_update=True
    )

    @property
    def solved(self) -> bool:
        return self.accepted_post_id is not None

    @property
    def is_question(self) -> bool:
        return self.kind == "question"

    @property
    def visible(self) -> bool:
        return not self.hidden and self.deleted_at is None


class Post(db.Model):
    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    body_md: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)  # rendered on save (models/rendered.py)
    is_question: Mapped[bool] = mapped_column(default=False)  # the topic's opening post
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    edited_at: Mapped[datetime | None]
    score: Mapped[int] = mapped_column(default=0)
    hidden: Mapped[bool] = mapped_column(default=False)
    deleted_at: Mapped[datetime | None]

    topic: Mapped[Topic] = relationship(back_populates="posts", foreign_keys=[topic_id])
    author = relationship("User")
    edits: Mapped[list["PostEdit"]] = relationship(order_by="PostEdit.id.desc()")

    @property
    def visible(self) -> bool:
        return not self.hidden and self.deleted_at is None


class PostEdit(db.Model):
    """The text a post had before an edit: edits stay visible as history."""

    __tablename__ = "post_edits"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    editor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    old_body_md: Mapped[str] = mapped_column(Text)
    old_body_html: Mapped[str | None] = mapped_column(Text)  # rendered on save
    old_title: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    editor = relationship("User")


class PostVote(db.Model):
    __tablename__ = "post_votes"
    __table_args__ = (UniqueConstraint("post_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Flag(db.Model):
    __tablename__ = "flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(index=True)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolution: Mapped[str | None] = mapped_column(String(20))  # "hidden" | "dismissed"

    post: Mapped[Post] = relationship()
    user = relationship("User", foreign_keys=[user_id])


class Watch(db.Model):
    """A user follows a topic, a whole category, or a knowledge-base article."""

    __tablename__ = "watches"
    __table_args__ = (
        UniqueConstraint("user_id", "topic_id"),
        UniqueConstraint("user_id", "category_id"),
        UniqueConstraint("user_id", "article_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"))
    # A knowledge-base article the user follows: told when it is updated (portal/kb/follow.py).
    article_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TopicViewMark(db.Model):
    """When a visitor's view of a topic was last counted: one view per visitor per period."""

    __tablename__ = "topic_view_marks"

    topic_id: Mapped[int] = mapped_column(
        ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True
    )
    visitor_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    counted_at: Mapped[datetime] = mapped_column(default=utcnow)


class AskSession(db.Model):
    """One visit to the ask page: what was typed, whether a suggestion was opened, whether
    a question was posted. Deflected = opened a suggestion and did not post."""

    __tablename__ = "ask_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    anon_id: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_title: Mapped[str] = mapped_column(String(200), default="")
    suggestions_shown: Mapped[int] = mapped_column(default=0)
    opened_suggestion_at: Mapped[datetime | None]
    opened_key: Mapped[str | None] = mapped_column(String(40))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id"))

    @property
    def outcome(self) -> str:
        if self.topic_id is not None:
            return "posted"
        return "deflected" if self.opened_suggestion_at is not None else "abandoned"


Index("ix_posts_topic_visible", Post.topic_id, Post.hidden)

"""Experts and the routing of unanswered questions to them."""

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, String, Table, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models._time import utcnow
from portal.models.kb import Category, Tag

ASSIGNMENT_STATES = ("open", "declined", "escalated", "answered", "reassigned", "cancelled")
ROUTING_EVENTS = (
    "assigned",
    "declined",
    "escalated",
    "answered",
    "unrouted",
    "reassigned",
    "cancelled",
)

expert_categories = Table(
    "expert_categories",
    db.metadata,
    Column("expert_id", ForeignKey("expert_profiles.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True),
)
expert_tags = Table(
    "expert_tags",
    db.metadata,
    Column("expert_id", ForeignKey("expert_profiles.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


class ExpertProfile(db.Model):
    __tablename__ = "expert_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    keywords: Mapped[str] = mapped_column(String(500), default="")  # free text, analyzed
    on_duty: Mapped[bool] = mapped_column(default=True)
    max_open: Mapped[int] = mapped_column(default=5)
    # When this expert was last given a question: ties rotate to whoever waited longest.
    last_assigned_at: Mapped[datetime | None]

    user = relationship("User")
    categories: Mapped[list[Category]] = relationship(secondary=expert_categories)
    tags: Mapped[list[Tag]] = relationship(secondary=expert_tags)


class Assignment(db.Model):
    __tablename__ = "assignments"
    __table_args__ = (
        # At most one open assignment per topic, enforced by the database: two sweeps
        # racing cannot both assign the same question.
        Index(
            "uq_assignments_open_topic",
            "topic_id",
            unique=True,
            sqlite_where=text("state = 'open'"),
            postgresql_where=text("state = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default="open", index=True)
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime] = mapped_column(index=True)
    closed_at: Mapped[datetime | None]
    decline_reason: Mapped[str | None] = mapped_column(String(500))

    topic = relationship("Topic")
    expert = relationship("User")


class RoutingEvent(db.Model):
    __tablename__ = "routing_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20), index=True)
    detail: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    expert = relationship("User", foreign_keys=[expert_id])
    topic = relationship("Topic")


class JobLease(db.Model):
    """A named lease row: whoever moves `held_until` forward with a compare-and-set owns the
    job until then. Works the same on SQLite and PostgreSQL, across processes and hosts."""

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100), default="")
    held_until: Mapped[datetime] = mapped_column(default=datetime(1970, 1, 1))
    # When the schedule last started this job and it finished (portal.jobs.schedule): shared
    # by every process, so N workers run a job once per interval, not N times.
    last_run_at: Mapped[datetime | None]

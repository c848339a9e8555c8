"""Every search and every click on a result: the raw data that analytics mines."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models._time import utcnow


class SearchLog(db.Model):
    __tablename__ = "search_logs"
    # A visitor's searches by time: the flood check (portal/searching/bots.py) counts one
    # visitor's last minute on every search; an index on the id alone read all their
    # history, which grows with every search.
    __table_args__ = (
        Index("ix_search_logs_user_id_created_at", "user_id", "created_at"),
        Index("ix_search_logs_anon_id_created_at", "anon_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # A random id kept in the session cookie; never the raw IP address.
    anon_id: Mapped[str | None] = mapped_column(String(64))
    # portal.visitor.visitor_key: the account, or a keyed hash of the network for anonymous
    # searches; what popular-query suggestions count (a cookie is free, a network is not).
    visitor_key: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(10))  # "page" | "api"
    query_raw: Mapped[str] = mapped_column(String(500))
    query_normalized: Mapped[str] = mapped_column(String(500), index=True)
    tokens: Mapped[str] = mapped_column(String(1000))  # space-separated analyzer tokens
    filters: Mapped[dict] = mapped_column(JSON, default=dict)
    result_count: Mapped[int]
    page: Mapped[int] = mapped_column(default=1)
    user_agent: Mapped[str | None] = mapped_column(String(300))
    # Kept out of every insight figure (and counted as excluded): crawlers and scripts, and
    # searches by staff (experts, editors, admins) testing the portal.
    is_bot: Mapped[bool] = mapped_column(default=False, index=True)
    is_staff: Mapped[bool] = mapped_column(default=False)

    clicks: Mapped[list["SearchClick"]] = relationship(back_populates="search")


class SearchClick(db.Model):
    __tablename__ = "search_clicks"

    id: Mapped[int] = mapped_column(primary_key=True)
    search_id: Mapped[int] = mapped_column(ForeignKey("search_logs.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    doc_type: Mapped[str] = mapped_column(String(20))
    doc_id: Mapped[int]
    rank: Mapped[int]

    search: Mapped[SearchLog] = relationship(back_populates="clicks")

"""What editors tune in search: synonym groups and the product-term dictionary.

Every change bumps the ``search_tuning`` version in ``settings``; each process compares that
number with the one it loaded and reloads, so changes apply without a restart."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models._time import utcnow


class SynonymGroup(db.Model):
    """Words that mean the same to a customer (退货 / 退换货 / return)."""

    __tablename__ = "synonym_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    terms: Mapped[str] = mapped_column(Text)  # one group, members separated by commas
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    @property
    def members(self) -> list[str]:
        return split_terms(self.terms)


class UserWord(db.Model):
    """A product term the segmenter must keep whole (青禾笔记, 会员日)."""

    __tablename__ = "user_words"

    id: Mapped[int] = mapped_column(primary_key=True)
    word: Mapped[str] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class BlockedSuggestion(db.Model):
    """A popular query editors keep out of the autocomplete suggestions (spam, abuse)."""

    __tablename__ = "blocked_suggestions"

    id: Mapped[int] = mapped_column(primary_key=True)
    query: Mapped[str] = mapped_column(String(500), unique=True)  # normalize_query() form
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Setting(db.Model):
    """Small named values shared by every process (e.g. the search tuning version)."""

    __tablename__ = "settings"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def split_terms(text: str) -> list[str]:
    """Members of a group typed with ASCII or full-width commas, 、 or new lines."""
    for separator in ("，", "、", "\n", ";", "；"):
        text = text.replace(separator, ",")
    seen: dict[str, None] = {}
    for part in text.split(","):
        if part.strip():
            seen.setdefault(part.strip(), None)
    return list(seen)

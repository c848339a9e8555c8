"""Downloads library: products and the files (manuals, drivers, releases) offered for them."""

import re
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models._time import utcnow

VISIBILITIES = ("public", "customers")

# PostgreSQL's default collations ignore punctuation when sorting; the version key must
# compare byte by byte there, as it does in SQLite.
VersionKey = String(255).with_variant(String(255, collation="C"), "postgresql")

_VERSION_TOKEN = re.compile(r"\d+|[a-z]+")
_NUMBER_WIDTH = 10
_MAX_TOKENS = 12


def version_sort_key(version: str) -> str:
    """A string that sorts like the version it encodes: 4.10 > 4.9, 4.10.1 > 4.10 and
    4.10 > 4.10-beta > 4.10-alpha (numbers pad to a fixed width; a pre-release word sorts
    below the end of the version, another number above it)."""
    parts = []
    version = re.sub(r"^v(?=\d)", "", (version or "").strip().lower())  # v4.2 is 4.2
    for token in _VERSION_TOKEN.findall(version)[:_MAX_TOKENS]:
        if token.isdigit():
            parts.append("c" + token.lstrip("0").rjust(_NUMBER_WIDTH, "0")[-_NUMBER_WIDTH:])
        else:
            parts.append("a" + token[:_NUMBER_WIDTH])
    parts.append("b")  # the end of the version
    return ".".join(parts)


class Product(db.Model):
    """What customers download files for (青禾笔记 desktop, the mobile app, a device...)."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    position: Mapped[int] = mapped_column(default=0)

    def display_name(self, locale: str) -> str:
        return self.name_en if locale.startswith("en") and self.name_en else self.name


class DownloadFile(db.Model):
    """One uploaded file. Old versions are kept; the stored file lives outside static/ under
    a random name, and ``original_name`` is the sanitised name it is downloaded as."""

    __tablename__ = "download_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    article_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(50))
    version_key: Mapped[str] = mapped_column(VersionKey, index=True)
    release_notes_md: Mapped[str] = mapped_column(Text, default="")
    release_notes_html: Mapped[str | None] = mapped_column(Text)  # rendered on save
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(100))
    visibility: Mapped[str] = mapped_column(String(20), default="public")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    download_count: Mapped[int] = mapped_column(default=0)

    product: Mapped[Product] = relationship()
    article = relationship("Article")
    created_by = relationship("User")

    def set_version(self, version: str) -> None:
        """Keep ``version_key`` in step with the version text."""
        self.version = version.strip()
        self.version_key = version_sort_key(self.version)

    @property
    def customers_only(self) -> bool:
        return self.visibility == "customers"

"""Downloads logic: upload, edit, delete, list by product and version, count downloads.

Plain functions: callers pass the upload directory and limits (from app.config)."""

import logging
from dataclasses import dataclass, field
from itertools import groupby
from typing import BinaryIO

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from portal.audit.services import current_actor, record, snapshot
from portal.downloads.storage import (
    CONTENT_TYPES,
    UploadError,
    allowed_extension,
    remove_stored,
    sanitize_filename,
    save_stream,
)
from portal.extensions import db
from portal.models import Article, DownloadFile, Product
from portal.models.downloads import VISIBILITIES

logger = logging.getLogger(__name__)

NEWEST_FIRST = (
    DownloadFile.version_key.desc(),
    DownloadFile.created_at.desc(),
    DownloadFile.id.desc(),
)
# What the audit log keeps of a file and a product. The views do not pass the acting user
# to edit, delete and product creation, so those take the request's user (current_actor).
FILE_FIELDS = (
    "title",
    "version",
    "visibility",
    "product_id",
    "article_id",
    "release_notes_md",
    "original_name",
    "size",
    "sha256",
)
PRODUCT_FIELDS = ("name", "name_en", "slug", "position")


@dataclass
class FileDetails:
    """What an editor types about a file (everything but the bytes)."""

    product_id: int
    title: str
    version: str
    release_notes_md: str = ""
    visibility: str = "public"
    article_id: int | None = None


@dataclass
class UploadLimits:
    upload_dir: str
    max_bytes: int
    extensions: tuple[str, ...]


@dataclass
class VersionGroup:
    version: str
    files: list[DownloadFile]


@dataclass
class ProductGroup:
    product: Product
    versions: list[VersionGroup] = field(default_factory=list)


def _check_details(details: FileDetails) -> None:
    if db.session.get(Product, details.product_id) is None:
        raise UploadError(_l("Please choose a product."))
    if details.visibility not in VISIBILITIES:
        raise UploadError(_l("Please choose who may download the file."))
    if details.article_id is not None and db.session.get(Article, details.article_id) is None:
        raise UploadError(_l("That article does not exist."))
    if not details.version.strip() or not details.title.strip():
        raise UploadError(_l("Title and version are required."))


def _apply_details(item: DownloadFile, details: FileDetails) -> None:
    item.product_id, item.article_id = details.product_id, details.article_id
    item.title, item.visibility = details.title.strip(), details.visibility
    item.release_notes_md = details.release_notes_md or ""
    item.set_version(details.version)


def upload_file(
    stream: BinaryIO,
    client_name: str,
    details: FileDetails,
    limits: UploadLimits,
    user_id: int | None,
) -> DownloadFile:
    """Validate and store an upload, then record it. On any failure nothing is kept."""
    _check_details(details)
    name = sanitize_filename(client_name)
    extension = allowed_extension(name, limits.extensions)
    if extension is None:
        raise UploadError(
            _l(
                "Files of this type are not allowed. Allowed: %(types)s.",
                types=", ".join(limits.extensions),
            ),
            status=415,
        )
    stored = save_stream(stream, limits.upload_dir, extension, limits.max_bytes)
    item = DownloadFile(
        original_name=name,
        stored_name=stored.stored_name,
        size=stored.size,
        sha256=stored.sha256,
        content_type=CONTENT_TYPES[extension],
        created_by_id=user_id,
    )
    _apply_details(item, details)
    db.session.add(item)
    try:
        db.session.flush()  # the file's id, for the audit entry
        record(
            user_id,
            "download.upload",
            "download",
            item.id,
            item.title,
            None,
            snapshot(item, FILE_FIELDS),
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        remove_stored(limits.upload_dir, stored.stored_name)  # no file without its row
        raise
    logger.info("download %s uploaded: %s (%d bytes)", item.id, name, item.size)
    return item


def update_details(item: DownloadFile, details: FileDetails) -> DownloadFile:
    """Change what is shown about a file (the bytes stay; upload a new version for that)."""
    _check_details(details)
    before = snapshot(item, FILE_FIELDS)
    _apply_details(item, details)
    record(
        current_actor(),
        "download.update",
        "download",
        item.id,
        item.title,
        before,
        snapshot(item, FILE_FIELDS),
    )
    db.session.commit()
    return item


def delete_file(item: DownloadFile, upload_dir: str) -> None:
    """Delete the row, then the stored file (the row first: never a row without its file)."""
    stored_name = item.stored_name
    record(
        current_actor(),
        "download.delete",
        "download",
        item.id,
        item.title,
        snapshot(item, FILE_FIELDS),
    )
    db.session.delete(item)
    db.session.commit()
    remove_stored(upload_dir, stored_name)
    logger.info("download %s deleted", stored_name)


def record_download(file_id: int) -> None:
    """Count one download in a single UPDATE, so concurrent downloads are never lost."""
    db.session.execute(
        update(DownloadFile)
        .where(DownloadFile.id == file_id)
        .values(download_count=DownloadFile.download_count + 1)
    )
    db.session.commit()


def group_by_version(files: list[DownloadFile]) -> list[VersionGroup]:
    """Files already ordered newest first, gathered under their version."""
    return [
        VersionGroup(version=key[1], files=list(group))
        for key, group in groupby(files, key=lambda f: (f.version_key, f.version))
    ]


def library(product_slug: str | None = None) -> list[ProductGroup]:
    """Every product that has files, each with its versions newest first."""
    query = (
        select(DownloadFile)
        .join(DownloadFile.product)
        .order_by(Product.position, Product.name, Product.id, *NEWEST_FIRST)
    )
    if product_slug:
        query = query.where(Product.slug == product_slug)
    files = db.session.scalars(query).all()
    return [
        ProductGroup(product=product, versions=group_by_version(list(group)))
        for product, group in groupby(files, key=lambda f: f.product)
    ]


def files_for_article(article_id: int) -> list[DownloadFile]:
    """The files attached to one article, newest version first."""
    query = select(DownloadFile).where(DownloadFile.article_id == article_id)
    return list(db.session.scalars(query.order_by(*NEWEST_FIRST)))


def all_files() -> list[DownloadFile]:
    """Every file, for the editors' list."""
    query = select(DownloadFile).join(DownloadFile.product)
    return list(db.session.scalars(query.order_by(Product.position, Product.name, *NEWEST_FIRST)))


def products() -> list[Product]:
    return list(db.session.scalars(select(Product).order_by(Product.position, Product.name)))


def create_product(name: str, name_en: str, slug: str, position: int = 0) -> Product:
    """Add a product; the slug must be free."""
    if db.session.scalar(select(Product).where(Product.slug == slug)) is not None:
        raise UploadError(_l("The slug “%(slug)s” is already used.", slug=slug))
    product = Product(name=name.strip(), name_en=name_en.strip(), slug=slug, position=position or 0)
    db.session.add(product)
    db.session.flush()
    record(
        current_actor(),
        "product.create",
        "product",
        product.id,
        product.name,
        None,
        snapshot(product, PRODUCT_FIELDS),
    )
    db.session.commit()
    return product

"""Saving parsed Markdown files as articles for the import (portal/kb/importer.py): a batch
in one transaction, with the lookups made once per batch; a batch the database refuses is
saved again file by file through save_article, so that one bad row costs only its file."""

import logging
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from portal.audit.services import record
from portal.editor.services import (
    ArticleData,
    ArticleError,
    assign,
    clean_tags,
    latest_revision_number,
    revision_values,
    save_article,
    snapshot_article,
    validate_fields,
)
from portal.extensions import db
from portal.indexing.outbox import enqueue
from portal.kb.follow import notify_followers
from portal.kb.markdown_files import FrontMatterError
from portal.models import Article, ArticleRevision, Category, Tag
from portal.models._time import utcnow

logger = logging.getLogger(__name__)


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # files whose article was edited on the web
    written: set[str] = field(default_factory=set)  # slugs given a new revision by this import

    def count(self, created: bool, changed: bool) -> None:
        if created:
            self.created += 1
        elif changed:
            self.updated += 1
        else:
            self.unchanged += 1

    def add(self, other: "ImportReport") -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.errors += other.errors
        self.skipped += other.skipped
        self.written |= other.written


def _article_data(meta: dict, body: str, categories: dict[str, int]) -> ArticleData:
    """The article a parsed file describes; ``categories`` maps category slugs to ids."""
    missing = [key for key in ("slug", "title") if not meta.get(key)]
    if missing:
        raise FrontMatterError(f"missing {', '.join(missing)}")
    category_id = None
    if meta.get("category"):
        category_id = categories.get(str(meta["category"]))
        if category_id is None:
            raise FrontMatterError(f"unknown category {meta['category']!r}")
    tags = meta.get("tags") or []
    if isinstance(tags, str):
        tags = [tags]
    return ArticleData(
        title=str(meta["title"]),
        slug=str(meta["slug"]),
        body_md=body,
        category_id=category_id,
        language=str(meta.get("language", "zh-CN")),
        status=str(meta.get("status", "published")),
        summary=str(meta.get("summary", "") or ""),
        tags=[str(t) for t in tags],
    )


def _category_ids() -> dict[str, int]:
    return dict(db.session.execute(select(Category.slug, Category.id)).all())


@dataclass
class SourceFile:
    name: Path  # relative to the imported directory
    meta: dict = field(default_factory=dict)
    body: str = ""
    plain: bool = False  # no front matter: the slug comes from the path
    error: str = ""
    digest: str = ""  # SHA-256 of the file's text


def save_batch_or_each(batch: list[SourceFile], author_id: int | None, force: bool):
    try:
        return _save_batch(batch, author_id, force)
    except SQLAlchemyError:
        db.session.rollback()
        logger.warning(
            "a batch of %d files failed; importing them one by one", len(batch), exc_info=True
        )
        return _save_each(batch, author_id, force)


class _Tags:
    """Tags by lower-case name for one batch; a new name adds its Tag to the session."""

    def __init__(self):
        self.by_name = {tag.name.lower(): tag for tag in db.session.scalars(select(Tag))}

    def __call__(self, names: list[str]) -> list[Tag]:
        tags = []
        for name in clean_tags(names):
            tag = self.by_name.get(name.lower())
            if tag is None:
                tag = self.by_name[name.lower()] = Tag(name=name)
                db.session.add(tag)
            tags.append(tag)
        return tags


def edited_on_web(article: Article, latest_revision: int) -> bool:
    """True when the article has a revision its last import did not make (or was never
    imported): an editor's work that a file must not overwrite."""
    return article.imported_revision is None or latest_revision > article.imported_revision


def _keep(
    article: Article | None,
    source: SourceFile,
    latest_revision: int,
    force: bool,
    part: ImportReport,
) -> bool:
    """Whether the file leaves an existing article as it is, counted in ``part``: the file
    is the one last imported, or the article was edited on the web since (not forced)."""
    if article is None:
        return False
    if source.digest and source.digest == article.source_hash:
        part.count(created=False, changed=False)
        return True
    if not force and edited_on_web(article, latest_revision):
        part.skipped.append(str(source.name))
        return True
    return False


def _mark_imported(article: Article, source: SourceFile, revision: int | None) -> None:
    article.source_hash = source.digest or None
    if revision is not None:
        article.imported_revision = revision


def _save_batch(
    batch: list[SourceFile], author_id: int | None, force: bool = False
) -> ImportReport:
    """Save a batch in one transaction: what save_article does per article, with the
    lookups (articles by slug, latest revision numbers, categories, tags) made once."""
    part = ImportReport()
    categories, find_tags = _category_ids(), _Tags()
    slugs = {str(s.meta["slug"]) for s in batch if not s.error and s.meta.get("slug")}
    articles = {
        article.slug: article
        for article in db.session.scalars(
            select(Article).where(Article.slug.in_(slugs)).options(selectinload(Article.tags))
        )
    }
    latest = dict(
        db.session.execute(
            select(ArticleRevision.article_id, func.max(ArticleRevision.number))
            .where(ArticleRevision.article_id.in_([a.id for a in articles.values()]))
            .group_by(ArticleRevision.article_id)
        ).all()
    )
    numbers = {article: latest.get(article.id, 0) for article in articles.values()}
    saved = []  # (article, created, snapshot before and after, revision number, columns)
    with db.session.no_autoflush:
        for source in batch:
            try:
                if source.error:
                    raise FrontMatterError(source.error)
                data = _article_data(source.meta, source.body, categories)
                validate_fields(data)
            except (FrontMatterError, ArticleError) as error:
                part.errors.append(f"{source.name}: {error}")
                continue
            article = articles.get(data.slug)
            if _keep(article, source, numbers.get(article, 0), force, part):
                continue
            created = article is None
            if created:
                article = articles[data.slug] = Article(author_id=author_id, owner_id=author_id)
                db.session.add(article)
            before = None if created else snapshot_article(article)
            assign(article, data, find_tags)
            after = snapshot_article(article)
            part.count(created, after != before)
            if after == before:
                _mark_imported(article, source, None)
                continue
            article.updated_at = utcnow()
            number = numbers[article] = numbers.get(article, 0) + 1
            _mark_imported(article, source, number)
            part.written.add(article.slug)
            revision = revision_values(article, author_id, f"Imported from {source.name}")
            saved.append((article, created, before, after, number, revision))
    db.session.flush()  # new articles get their ids
    if saved:  # revisions in one multi-row INSERT: as ORM objects they cost more than articles
        db.session.execute(
            insert(ArticleRevision),
            [
                {"article_id": article.id, "number": number, **revision}
                for article, _created, _before, _after, number, revision in saved
            ],
        )
    for article, created, before, after, _number, _revision in saved:
        enqueue("article", article.id)
        if not created:
            notify_followers(article, author_id)
        if author_id is not None:  # an import without an author is summed up by its command
            record(
                author_id,
                "article.create" if created else "article.update",
                "article",
                article.id,
                article.title,
                before,
                after,
            )
    db.session.commit()
    return part


def _save_each(batch: list[SourceFile], author_id: int | None, force: bool = False) -> ImportReport:
    """The batch through save_article, one file and one transaction at a time."""
    part = ImportReport()
    categories = _category_ids()
    for source in batch:
        try:
            if source.error:
                raise FrontMatterError(source.error)
            data = _article_data(source.meta, source.body, categories)
            existing = db.session.scalar(select(Article).where(Article.slug == data.slug))
            latest = latest_revision_number(existing) if existing is not None else 0
            if _keep(existing, source, latest, force, part):
                continue
            article, changed = save_article(
                existing, data, author_id, f"Imported from {source.name}", index_now=False
            )
            _mark_imported(article, source, latest_revision_number(article) if changed else None)
            db.session.commit()
            if changed:
                part.written.add(article.slug)
        except (FrontMatterError, ArticleError) as error:
            db.session.rollback()
            part.errors.append(f"{source.name}: {error}")
        except SQLAlchemyError as error:
            db.session.rollback()
            part.errors.append(
                f"{source.name}: refused by the database: {getattr(error, 'orig', None) or error}"
            )
        else:
            part.count(existing is None, changed)
    return part

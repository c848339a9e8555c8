"""Import the knowledge base from Markdown files (portal/kb/markdown_files.py reads them;
portal/kb/exporter.py writes them).

Import upserts by slug: a changed file makes a new revision, an unchanged one does nothing,
and nothing is ever duplicated. An article edited on the web since its last import is left
alone (reported as skipped) unless the import is forced.
On request, plain Markdown files (no front matter) are imported too, so any folder of
documents can be loaded.

Import is a bulk path: every file is parsed and checked first, then articles are saved
BATCH_SIZE to a transaction (article, first or next revision and index task together) and
the index outbox is drained once per batch. The editor's rules (portal/editor/services.py)
apply unchanged; a batch the database refuses is retried file by file through save_article,
so one bad row costs its own file, not its batch."""

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
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
from portal.indexing.outbox import drain, enqueue
from portal.kb.follow import notify_followers
from portal.kb.markdown_files import (
    FrontMatterError,
    has_front_matter,
    markdown_files,
    parse_markdown_file,
    parse_plain_markdown,
)
from portal.kb.render_ahead import rendered_batches
from portal.kb.translations import TranslationError, check_translation, link_translation
from portal.markup import rendered_ahead
from portal.models import Article, ArticleRevision, Category, Tag
from portal.models._time import utcnow

logger = logging.getLogger(__name__)
CATEGORIES_FILE = "_categories.yaml"
BATCH_SIZE = 500  # articles per transaction and per index update


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


def import_categories(path: Path) -> int:
    """Upsert the category tree from _categories.yaml; returns the number of categories."""
    nodes = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    count = 0

    def walk(items, parent_id):
        nonlocal count
        for position, item in enumerate(items):
            category = db.session.scalar(select(Category).where(Category.slug == item["slug"]))
            if category is None:
                category = Category(slug=item["slug"])
                db.session.add(category)
            values = dict(
                name=item["name"],
                name_en=item.get("name_en", ""),
                description=item.get("description", ""),
                description_en=item.get("description_en", ""),
                parent_id=parent_id,
                position=position,
            )
            for key, value in values.items():
                if getattr(category, key) != value:
                    setattr(category, key, value)
            db.session.flush()
            count += 1
            walk(item.get("children") or [], category.id)

    walk(nodes, None)
    db.session.commit()
    return count


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
class _SourceFile:
    name: Path  # relative to the imported directory
    meta: dict = field(default_factory=dict)
    body: str = ""
    plain: bool = False  # no front matter: the slug comes from the path
    error: str = ""
    digest: str = ""  # SHA-256 of the file's text


def _read_sources(directory: Path, allow_plain: bool) -> list[_SourceFile]:
    """Parse every file first, so that path slugs can avoid every front-matter slug."""
    sources = []
    for path in markdown_files(directory):
        source = _SourceFile(path.relative_to(directory))
        try:
            text = path.read_text(encoding="utf-8")
            source.digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
            source.plain = allow_plain and not has_front_matter(text)
            if source.plain:
                source.meta, source.body = parse_plain_markdown(source.name, text)
            else:
                source.meta, source.body = parse_markdown_file(text)
        except (FrontMatterError, UnicodeDecodeError) as error:
            source.error = str(error)
        sources.append(source)
    taken = {str(s.meta.get("slug")) for s in sources if not s.plain and s.meta.get("slug")}
    for source in (s for s in sources if s.plain and not s.error):
        base, number = source.meta["slug"], 2
        while source.meta["slug"] in taken:  # a/b.md and a-b.md both give "a-b"
            source.meta["slug"], number = f"{base}-{number}", number + 1
        taken.add(source.meta["slug"])
    return sources


def import_directory(
    directory: Path,
    progress: Callable[[int], None] | None = None,
    author_id: int | None = None,
    allow_plain: bool = False,
    update_index: bool = True,
    batch_size: int = BATCH_SIZE,
    force: bool = False,
) -> ImportReport:
    """Import every *.md under ``directory`` (and _categories.yaml if present).

    With ``allow_plain``, a file without front matter is imported as a published,
    uncategorised article (see parse_plain_markdown) instead of being reported as an error.
    ``progress`` is called with the number of files done after each batch. Without
    ``update_index`` the index tasks stay queued for a later drain or reindex. An article
    edited on the web since its last import is skipped unless ``force``."""
    report = ImportReport()
    if (directory / CATEGORIES_FILE).exists():
        import_categories(directory / CATEGORIES_FILE)
    pending = _read_sources(directory, allow_plain)
    links = {
        str(s.meta["slug"]): (str(s.meta["translation_of"]), s.name)
        for s in pending
        if not s.error and s.meta.get("slug") and s.meta.get("translation_of")
    }
    batches = [pending[i : i + batch_size] for i in range(0, len(pending), batch_size)]
    bodies = [[s.body for s in batch if not s.error] for batch in batches]
    for batch, rendered in zip(batches, rendered_batches(bodies), strict=True):
        with rendered_ahead(rendered):
            part = _save_batch_or_each(batch, author_id, force)
        report.add(part)
        if update_index:
            drain(batch_size)
        if progress:
            progress(len(batch))
    _link_translations(links, report)
    return report


def _save_batch_or_each(batch: list[_SourceFile], author_id: int | None, force: bool):
    try:
        return _save_batch(batch, author_id, force)
    except SQLAlchemyError:
        db.session.rollback()
        logger.warning(
            "a batch of %d files failed; importing them one by one", len(batch), exc_info=True
        )
        return _save_each(batch, author_id, force)


def _link_translations(links: dict[str, tuple[str, Path]], report: ImportReport) -> None:
    """Front matter ``translation_of: <slug>``: a translation file written by this import
    joins its original's group, up to date with the original's latest revision."""
    links = {slug: link for slug, link in links.items() if slug in report.written}
    if not links:
        return
    wanted = set(links) | {original for original, _name in links.values()}
    articles = {
        a.slug: a for a in db.session.scalars(select(Article).where(Article.slug.in_(wanted)))
    }
    for slug, (original_slug, name) in links.items():
        article, original = articles.get(slug), articles.get(original_slug)
        if article is None:
            continue
        if original is None or original is article:
            report.errors.append(
                f"{name}: translation_of names no other article: {original_slug!r}"
            )
            continue
        try:
            root = check_translation(original, article.language, article)
        except TranslationError as error:
            report.errors.append(f"{name}: {error}")
            continue
        link_translation(article, root)
    db.session.commit()


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
    source: _SourceFile,
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


def _mark_imported(article: Article, source: _SourceFile, revision: int | None) -> None:
    article.source_hash = source.digest or None
    if revision is not None:
        article.imported_revision = revision


def _save_batch(
    batch: list[_SourceFile], author_id: int | None, force: bool = False
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


def _save_each(
    batch: list[_SourceFile], author_id: int | None, force: bool = False
) -> ImportReport:
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

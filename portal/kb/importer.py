"""Import the knowledge base from Markdown files (portal/kb/markdown_files.py reads them;
portal/kb/exporter.py writes them).

Import upserts by slug: a changed file makes a new revision, an unchanged one does nothing,
and nothing is ever duplicated. An article edited on the web since its last import is left
alone (reported as skipped) unless the import is forced.
On request, plain Markdown files (no front matter) are imported too, so any folder of
documents can be loaded.

Import is a bulk path: every file is parsed and checked first, then articles are saved
BATCH_SIZE to a transaction (article, first or next revision and index task together) and
the index outbox is drained once per batch (the saving: portal/kb/import_batches.py). The
editor's rules (portal/editor/services.py) apply unchanged; a batch the database refuses is
retried file by file through save_article, so one bad row costs its own file, not its batch."""

import hashlib
from collections.abc import Callable
from pathlib import Path

import yaml
from sqlalchemy import select

from portal.extensions import db
from portal.indexing.outbox import drain
from portal.kb.import_batches import ImportReport, SourceFile, save_batch_or_each
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
from portal.models import Article, Category

CATEGORIES_FILE = "_categories.yaml"
BATCH_SIZE = 500  # articles per transaction and per index update


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


def _read_sources(directory: Path, allow_plain: bool) -> list[SourceFile]:
    """Parse every file first, so that path slugs can avoid every front-matter slug."""
    sources = []
    for path in markdown_files(directory):
        source = SourceFile(path.relative_to(directory))
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
            part = save_batch_or_each(batch, author_id, force)
        report.add(part)
        if update_index:
            drain(batch_size)
        if progress:
            progress(len(batch))
    _link_translations(links, report)
    return report


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

"""Import and export the knowledge base as Markdown files with YAML front matter.

Import upserts by slug: a changed file makes a new revision, an unchanged one does nothing,
and nothing is ever duplicated. Export writes the same format back. On request, plain
Markdown files (no front matter) are imported too, so any folder of documents can be loaded."""

import logging
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pypinyin import lazy_pinyin
from sqlalchemy import select

from portal.editor.services import ArticleData, ArticleError, save_article
from portal.extensions import db
from portal.indexing.outbox import drain
from portal.models import Article, Category
from search.analyzer import fold

logger = logging.getLogger(__name__)
CATEGORIES_FILE = "_categories.yaml"
SLUG_MAX = 100  # below the column's 120, leaving room for a "-2" de-duplication suffix
TITLE_MAX = 200
_CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


class FrontMatterError(ValueError):
    pass


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)


def parse_markdown_file(text: str) -> tuple[dict, str]:
    """Split '---' YAML front matter from the Markdown body."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.startswith("---"):
        raise FrontMatterError("no front matter (the file must start with ---)")
    try:
        _start, front, body = text.split("---", 2)
        meta = yaml.safe_load(front) or {}
    except (ValueError, yaml.YAMLError) as error:
        raise FrontMatterError(f"unreadable front matter: {error}") from None
    if not isinstance(meta, dict):
        raise FrontMatterError("front matter must be a mapping")
    return meta, body.strip() + "\n"


def has_front_matter(text: str) -> bool:
    return text.removeprefix("\ufeff").startswith("---")


def path_slug(relative: Path) -> str:
    """An ASCII slug for a file path: Chinese becomes pinyin, folders join with hyphens."""
    words = lazy_pinyin(str(relative.with_suffix("")))  # non-Chinese runs pass through
    ascii_text = unicodedata.normalize("NFKD", "-".join(words)).encode("ascii", "ignore")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.decode().lower()).strip("-")
    return slug[:SLUG_MAX].strip("-") or "article"


def guess_language(text: str) -> str:
    """en without Chinese characters; zh-TW when many of them are traditional; else zh-CN."""
    chinese = _CJK_RE.findall(text)
    if not chinese:
        return "en"
    traditional = sum(1 for char in chinese if fold(char) != char)
    return "zh-TW" if traditional * 10 >= len(chinese) else "zh-CN"


def _split_title(text: str) -> tuple[str | None, str]:
    """The first level-1 ATX heading outside code fences, and the text without it."""
    lines = text.splitlines()
    in_fence = False
    for number, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        elif not in_fence and line.startswith("# "):
            title = line[2:].strip().rstrip("#").strip()
            if title:
                return title, "\n".join(lines[:number] + lines[number + 1:])
    return None, text


def parse_plain_markdown(relative: Path, text: str) -> tuple[dict, str]:
    """Metadata for a Markdown file without front matter: its first '# ' heading (else the
    file name) as title, a slug from its path, published, no category."""
    title, body = _split_title(text.removeprefix("\ufeff"))
    meta = {"title": (title or relative.stem)[:TITLE_MAX], "slug": path_slug(relative),
            "language": guess_language(text), "status": "published"}
    return meta, body.strip() + "\n"


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
            values = dict(name=item["name"], name_en=item.get("name_en", ""),
                          description=item.get("description", ""), parent_id=parent_id,
                          position=position)
            for key, value in values.items():
                if getattr(category, key) != value:
                    setattr(category, key, value)
            db.session.flush()
            count += 1
            walk(item.get("children") or [], category.id)

    walk(nodes, None)
    db.session.commit()
    return count


def _article_data(meta: dict, body: str) -> ArticleData:
    missing = [key for key in ("slug", "title") if not meta.get(key)]
    if missing:
        raise FrontMatterError(f"missing {', '.join(missing)}")
    category_id = None
    if meta.get("category"):
        category = db.session.scalar(select(Category).where(Category.slug == str(meta["category"])))
        if category is None:
            raise FrontMatterError(f"unknown category {meta['category']!r}")
        category_id = category.id
    tags = meta.get("tags") or []
    if isinstance(tags, str):
        tags = [tags]
    return ArticleData(
        title=str(meta["title"]), slug=str(meta["slug"]), body_md=body, category_id=category_id,
        language=str(meta.get("language", "zh-CN")), status=str(meta.get("status", "published")),
        summary=str(meta.get("summary", "") or ""), tags=[str(t) for t in tags],
    )


def markdown_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*.md") if not p.name.startswith("_"))


@dataclass
class _SourceFile:
    name: Path  # relative to the imported directory
    meta: dict = field(default_factory=dict)
    body: str = ""
    plain: bool = False  # no front matter: the slug comes from the path
    error: str = ""


def _read_sources(directory: Path, allow_plain: bool) -> list[_SourceFile]:
    """Parse every file first, so that path slugs can avoid every front-matter slug."""
    sources = []
    for path in markdown_files(directory):
        source = _SourceFile(path.relative_to(directory))
        try:
            text = path.read_text(encoding="utf-8")
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
    directory: Path, progress: Callable[[int], None] | None = None, author_id: int | None = None,
    allow_plain: bool = False,
) -> ImportReport:
    """Import every *.md under ``directory`` (and _categories.yaml if present).

    With ``allow_plain``, a file without front matter is imported as a published,
    uncategorised article (see parse_plain_markdown) instead of being reported as an error."""
    report = ImportReport()
    if (directory / CATEGORIES_FILE).exists():
        import_categories(directory / CATEGORIES_FILE)
    for source in _read_sources(directory, allow_plain):
        try:
            if source.error:
                raise FrontMatterError(source.error)
            data = _article_data(source.meta, source.body)
            existing = db.session.scalar(select(Article).where(Article.slug == data.slug))
            _article, changed = save_article(existing, data, author_id,
                                             f"Imported from {source.name}", index_now=False)
        except (FrontMatterError, ArticleError) as error:
            db.session.rollback()
            report.errors.append(f"{source.name}: {error}")
        else:
            if existing is None:
                report.created += 1
            elif changed:
                report.updated += 1
            else:
                report.unchanged += 1
        if progress:
            progress(1)
    drain()
    return report


def _category_nodes(parent_id: int | None) -> list[dict]:
    children = db.session.scalars(
        select(Category).where(Category.parent_id.is_(parent_id) if parent_id is None
                               else Category.parent_id == parent_id)
        .order_by(Category.position, Category.id)
    )
    nodes = []
    for category in children:
        node = {"slug": category.slug, "name": category.name, "name_en": category.name_en,
                "description": category.description}
        sub = _category_nodes(category.id)
        if sub:
            node["children"] = sub
        nodes.append(node)
    return nodes


def export_directory(directory: Path, progress: Callable[[int], None] | None = None) -> int:
    """Write every article as <slug>.md plus _categories.yaml; returns the article count."""
    directory.mkdir(parents=True, exist_ok=True)
    dump = dict(allow_unicode=True, sort_keys=False, default_flow_style=None, width=1000)
    (directory / CATEGORIES_FILE).write_text(yaml.safe_dump(_category_nodes(None), **dump),
                                             encoding="utf-8")
    count = 0
    for article in db.session.scalars(select(Article).order_by(Article.slug)):
        meta = {"slug": article.slug, "title": article.title,
                "category": article.category.slug if article.category else None,
                "tags": article.tag_names, "language": article.language,
                "summary": article.summary, "status": article.status}
        meta = {k: v for k, v in meta.items() if v not in (None, "")}
        front = yaml.safe_dump(meta, **dump)
        (directory / f"{article.slug}.md").write_text(
            f"---\n{front}---\n\n{article.body_md.strip()}\n", encoding="utf-8")
        count += 1
        if progress:
            progress(1)
    return count

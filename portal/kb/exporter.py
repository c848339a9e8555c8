"""Export the knowledge base as Markdown files with YAML front matter: the format
portal/kb/importer.py reads, so an export imported again changes nothing."""

from collections.abc import Callable
from pathlib import Path

import yaml
from sqlalchemy import select

from portal.extensions import db
from portal.kb.importer import CATEGORIES_FILE
from portal.models import Article, Category


def _category_nodes(parent_id: int | None) -> list[dict]:
    children = db.session.scalars(
        select(Category)
        .where(
            Category.parent_id.is_(parent_id)
            if parent_id is None
            else Category.parent_id == parent_id
        )
        .order_by(Category.position, Category.id)
    )
    nodes = []
    for category in children:
        node = {
            "slug": category.slug,
            "name": category.name,
            "name_en": category.name_en,
            "description": category.description,
            "description_en": category.description_en,
        }
        sub = _category_nodes(category.id)
        if sub:
            node["children"] = sub
        nodes.append(node)
    return nodes


def export_directory(directory: Path, progress: Callable[[int], None] | None = None) -> int:
    """Write every article as <slug>.md plus _categories.yaml; returns the article count."""
    directory.mkdir(parents=True, exist_ok=True)
    dump = dict(allow_unicode=True, sort_keys=False, default_flow_style=None, width=1000)
    (directory / CATEGORIES_FILE).write_text(
        yaml.safe_dump(_category_nodes(None), **dump), encoding="utf-8"
    )
    count = 0
    for article in db.session.scalars(select(Article).order_by(Article.slug)):
        meta = {
            "slug": article.slug,
            "title": article.title,
            "category": article.category.slug if article.category else None,
            "tags": article.tag_names,
            "language": article.language,
            "summary": article.summary,
            "status": article.status,
            "translation_of": article.translation_of.slug if article.translation_of else None,
        }
        meta = {k: v for k, v in meta.items() if v not in (None, "")}
        front = yaml.safe_dump(meta, **dump)
        (directory / f"{article.slug}.md").write_text(
            f"---\n{front}---\n\n{article.body_md.strip()}\n", encoding="utf-8"
        )
        count += 1
        if progress:
            progress(1)
    return count

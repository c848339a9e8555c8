"""Markdown article folders for the `flask kb import` tests: files with front matter, plain
files, and the rows an import leaves."""

from pathlib import Path

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Article

ARTICLE = """---
slug: {slug}
title: {title}
category: orders
tags: [订单, 查询]
language: zh-CN
summary: 查询订单状态的方法。
---

## 步骤

{body}
"""
CATEGORIES = """- slug: shop
  name: 购物帮助
  name_en: Shopping
  children:
    - slug: orders
      name: 订单
      name_en: Orders
"""


def write_article(
    directory: Path, slug="track-order", title="如何查询订单", body="打开“我的订单”。"
):
    """An article file with front matter in ``directory``, beside the categories file."""
    directory.mkdir(exist_ok=True)
    (directory / "_categories.yaml").write_text(CATEGORIES, encoding="utf-8")
    (directory / f"{slug}.md").write_text(
        ARTICLE.format(slug=slug, title=title, body=body), encoding="utf-8"
    )


def write_files(directory: Path, files: dict[str, str]):
    """{relative path: text} written under ``directory``."""
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def count_rows(model):
    return db.session.scalar(select(func.count()).select_from(model))


def article_by_slug(slug):
    return db.session.scalar(select(Article).where(Article.slug == slug))


def import_directory_with(**options):
    """import_directory with ``options`` set, taking a directory and further options."""
    from portal.kb.importer import import_directory

    return lambda directory, **more: import_directory(directory, **options, **more)

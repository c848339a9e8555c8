"""flask kb import / export: upsert by slug, idempotent, round trip, clear errors."""

from pathlib import Path

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Article, ArticleRevision, Category

ROOT = Path(__file__).resolve().parent.parent

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


def _write(directory: Path, slug="track-order", title="如何查询订单", body="打开“我的订单”。"):
    directory.mkdir(exist_ok=True)
    (directory / "_categories.yaml").write_text(CATEGORIES, encoding="utf-8")
    (directory / f"{slug}.md").write_text(ARTICLE.format(slug=slug, title=title, body=body),
                                          encoding="utf-8")


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_import_is_idempotent_and_changed_file_makes_a_revision(app, client, tmp_path):
    source = tmp_path / "articles"
    _write(source)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["kb", "import", str(source)])
    assert first.exit_code == 0 and "1 new" in first.output
    second = runner.invoke(args=["kb", "import", str(source)])
    assert "0 new, 0 updated, 1 unchanged" in second.output
    assert (_count(Article), _count(ArticleRevision), _count(Category)) == (1, 1, 2)
    _write(source, body="打开 App 的“我的订单”页面。")
    third = runner.invoke(args=["kb", "import", str(source)])
    assert "1 updated" in third.output
    assert (_count(Article), _count(ArticleRevision)) == (1, 2)
    assert client.get("/api/v1/search?q=App").json["total"] == 1


def test_import_reports_bad_files_and_keeps_good_ones(app, tmp_path):
    source = tmp_path / "articles"
    _write(source)
    (source / "no-front-matter.md").write_text("# 标题\n正文", encoding="utf-8")
    (source / "bad-category.md").write_text(
        ARTICLE.format(slug="x-1", title="t", body="b").replace("orders", "nowhere"),
        encoding="utf-8")
    (source / "broken-yaml.md").write_text("---\ntitle: [unclosed\n---\nbody", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["kb", "import", str(source)])
    assert result.exit_code == 1
    assert "1 new" in result.output and "3 errors" in result.output
    assert "unknown category 'nowhere'" in result.output
    assert _count(Article) == 1


def test_export_then_import_round_trip_changes_nothing(app, tmp_path):
    runner = app.test_cli_runner()
    runner.invoke(args=["kb", "import", str(ROOT / "kb_articles")])
    before = (_count(Article), _count(ArticleRevision))
    exported = tmp_path / "export"
    result = runner.invoke(args=["kb", "export", str(exported)])
    assert result.exit_code == 0
    assert len(list(exported.glob("*.md"))) == before[0]
    again = runner.invoke(args=["kb", "import", str(exported)])
    assert f"0 new, 0 updated, {before[0]} unchanged, 0 errors" in again.output
    assert (_count(Article), _count(ArticleRevision)) == before


def test_shipped_articles_import_cleanly_and_are_searchable(app, client):
    result = app.test_cli_runner().invoke(args=["kb", "import", str(ROOT / "kb_articles")])
    assert result.exit_code == 0, result.output
    assert _count(Article) >= 40
    languages = dict(db.session.execute(
        select(Article.language, func.count()).group_by(Article.language)).all())
    assert languages["zh-TW"] >= 5 and languages["en"] >= 5
    assert client.get("/api/v1/search?q=退货").json["total"] > 0
    assert client.get("/api/v1/search?q=發票").json["total"] > 0
    assert client.get("/api/v1/search?q=license activation").json["total"] > 0


def _write_plain(directory: Path, files: dict[str, str]):
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _article(slug):
    return db.session.scalar(select(Article).where(Article.slug == slug))


def test_plain_markdown_import_takes_title_from_heading_and_slug_from_path(app, client, tmp_path):
    """Files without front matter: '# ' heading or file name as title, path slug, published."""
    from portal.kb.importer import import_directory

    _write_plain(tmp_path, {
        "退货/常見問題.md": "﻿開頭說明。\n\n# 退貨須知\n\n七天內可以退貨。\n",
        "guides/Install Guide.md": "```bash\n# not a title\n```\n\nRun the installer.\n",
    })
    report = import_directory(tmp_path, allow_plain=True)
    assert (report.created, report.errors) == (2, [])
    faq = _article("tui-huo-chang-jian-wen-ti")
    assert (faq.title, faq.status, faq.category_id, faq.language) == (
        "退貨須知", "published", None, "zh-TW")
    assert "# 退貨須知" not in faq.body_md and "七天內可以退貨" in faq.body_md
    guide = _article("guides-install-guide")
    assert (guide.title, guide.language) == ("Install Guide", "en")
    assert "# not a title" in guide.body_md
    hits = client.get("/api/v1/search?q=installer").json
    assert hits["total"] == 1


def test_plain_markdown_slugs_stay_unique_and_never_take_a_front_matter_slug(app, tmp_path):
    """a/b.md and a-b.md get distinct slugs; a path slug never overwrites a front-matter one."""
    from portal.kb.importer import import_directory

    _write(tmp_path)  # front matter slug track-order, category orders
    _write_plain(tmp_path, {"a/b.md": "# One\nx", "a-b.md": "# Two\ny",
                            "Track Order.md": "# 另一篇\n物流"})
    report = import_directory(tmp_path, allow_plain=True)
    assert (report.created, report.errors) == (4, [])
    assert (_article("a-b").title, _article("a-b-2").title) == ("One", "Two")  # path order
    assert _article("track-order").title == "如何查询订单"
    assert _article("track-order-2").title == "另一篇"


def test_plain_markdown_reimport_is_a_no_op_and_an_edit_updates(app, tmp_path):
    """Upsert by the path slug: unchanged files do nothing, an edited one makes a revision."""
    from portal.kb.importer import import_directory

    _write_plain(tmp_path, {"notes/sync.md": "# 同步\n正文", "plain.md": "没有标题的文件"})
    import_directory(tmp_path, allow_plain=True)
    again = import_directory(tmp_path, allow_plain=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert _article("plain").title == "plain"
    _write_plain(tmp_path, {"notes/sync.md": "# 同步\n改过的正文"})
    edited = import_directory(tmp_path, allow_plain=True)
    assert (edited.created, edited.updated, edited.unchanged) == (0, 1, 1)
    assert (_count(Article), _count(ArticleRevision)) == (2, 3)


def test_plain_markdown_is_still_an_error_without_allow_plain(app, tmp_path):
    """The default import keeps insisting on front matter (kb_articles must carry its slugs)."""
    from portal.kb.importer import import_directory

    _write_plain(tmp_path, {"x.md": "# 标题\n正文"})
    report = import_directory(tmp_path)
    assert report.created == 0
    assert report.errors == ["x.md: no front matter (the file must start with ---)"]


def test_cli_imports_plain_markdown_only_with_the_flag(app, client, tmp_path):
    """`flask kb import --plain-markdown DIR` takes any folder of Markdown files."""
    (tmp_path / "guides").mkdir()
    (tmp_path / "guides" / "sync.md").write_text("# 同步失败怎么办\n\n检查网络后重新登录。\n",
                                                 encoding="utf-8")
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["kb", "import", str(tmp_path)])
    assert refused.exit_code == 1 and "0 new" in refused.output
    accepted = runner.invoke(args=["kb", "import", "--plain-markdown", str(tmp_path)])
    assert accepted.exit_code == 0 and "1 new" in accepted.output
    assert client.get("/api/v1/search?q=同步失败").json["results"][0]["title"] == "同步失败怎么办"

"""flask kb import / export: upsert by slug, idempotent, round trip, clear errors."""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Article, ArticleRevision, Category
from tests import ROOT

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
    (directory / f"{slug}.md").write_text(
        ARTICLE.format(slug=slug, title=title, body=body), encoding="utf-8"
    )


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
        encoding="utf-8",
    )
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
    assert f"0 new, 0 updated, {before[0]} unchanged, 0 skipped, 0 errors" in again.output
    assert (_count(Article), _count(ArticleRevision)) == before


def test_shipped_articles_import_cleanly_and_are_searchable(app, client):
    result = app.test_cli_runner().invoke(args=["kb", "import", str(ROOT / "kb_articles")])
    assert result.exit_code == 0, result.output
    assert _count(Article) >= 40
    languages = dict(
        db.session.execute(select(Article.language, func.count()).group_by(Article.language)).all()
    )
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

    _write_plain(
        tmp_path,
        {
            "退货/常見問題.md": "﻿開頭說明。\n\n# 退貨須知\n\n七天內可以退貨。\n",
            "guides/Install Guide.md": "```bash\n# not a title\n```\n\nRun the installer.\n",
        },
    )
    report = import_directory(tmp_path, allow_plain=True)
    assert (report.created, report.errors) == (2, [])
    faq = _article("tui-huo-chang-jian-wen-ti")
    assert (faq.title, faq.status, faq.category_id, faq.language) == (
        "退貨須知",
        "published",
        None,
        "zh-TW",
    )
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
    _write_plain(
        tmp_path, {"a/b.md": "# One\nx", "a-b.md": "# Two\ny", "Track Order.md": "# 另一篇\n物流"}
    )
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
    (tmp_path / "guides" / "sync.md").write_text(
        "# 同步失败怎么办\n\n检查网络后重新登录。\n", encoding="utf-8"
    )
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["kb", "import", str(tmp_path)])
    assert refused.exit_code == 1 and "0 new" in refused.output
    accepted = runner.invoke(args=["kb", "import", "--plain-markdown", str(tmp_path)])
    assert accepted.exit_code == 0 and "1 new" in accepted.output
    assert client.get("/api/v1/search?q=同步失败").json["results"][0]["title"] == "同步失败怎么办"


# -- the bulk path: many files, several batches ---------------------------------------------

BULK_FILES = 1200  # more than two batches of BATCH_SIZE
NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def _spelled(number: int) -> str:
    """1107 -> "oneonezeroseven": a word only that file has, for a search that finds one."""
    return "".join(NUMBER_WORDS[int(digit)] for digit in str(number))


def _write_many(directory: Path, count: int) -> None:
    for number in range(count):
        _write_plain(
            directory,
            {
                f"section-{number % 7}/guide {number:04d}.md": (
                    f"# Widget guide {number}\n\nReset the widget, then {_spelled(number)} it.\n"
                )
            },
        )


def _search_total(client, query: str) -> int:
    return client.get(f"/api/v1/search?q={query}").json["total"]


@pytest.mark.slow
def test_bulk_import_saves_every_file_with_its_first_revision_and_indexes_it(app, client, tmp_path):
    """1,200 files over three batches: every article, one revision each, all searchable."""
    from portal.indexing.backend import get_backend
    from portal.kb.importer import BATCH_SIZE
    from portal.models import IndexTask

    assert BULK_FILES > 2 * BATCH_SIZE
    _write_many(tmp_path, BULK_FILES)
    result = app.test_cli_runner().invoke(args=["kb", "import", "--plain-markdown", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert f"{BULK_FILES} new, 0 updated, 0 unchanged, 0 skipped, 0 errors" in result.output
    assert (_count(Article), _count(ArticleRevision), _count(IndexTask)) == (
        BULK_FILES,
        BULK_FILES,
        0,
    )
    revisions = db.session.execute(
        select(
            func.min(ArticleRevision.number),
            func.max(ArticleRevision.number),
            func.count(func.distinct(ArticleRevision.article_id)),
        )
    ).one()
    assert tuple(revisions) == (1, 1, BULK_FILES)
    guide = _article("section-1-guide-1107")
    assert (guide.title, guide.status, guide.revisions[0].body_md) == (
        "Widget guide 1107",
        "published",
        guide.body_md,
    )
    assert get_backend().document_count() == BULK_FILES
    assert _search_total(client, "widget") == BULK_FILES
    assert [
        hit["slug"] for hit in client.get(f"/api/v1/search?q={_spelled(1107)}").json["results"]
    ] == ["section-1-guide-1107"]


@pytest.mark.slow
def test_bulk_import_reports_bad_files_by_name_and_imports_the_rest(app, tmp_path):
    """Bad files in a later batch cost only themselves; re-import leaves everything alone."""
    from portal.models import IndexTask

    _write_many(tmp_path, BULK_FILES)
    bad = {
        "section-2/broken-yaml.md": "---\ntitle: [unclosed\n---\nbody",
        "section-5/bad-status.md": "---\nslug: bad-status\ntitle: T\nstatus: gone\n---\nb",
    }
    _write_plain(tmp_path, bad)
    (tmp_path / "section-6" / "latin-1.md").write_bytes("# Caf\xe9\n".encode("latin-1"))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["kb", "import", "--plain-markdown", str(tmp_path)])
    assert first.exit_code == 1
    assert f"{BULK_FILES} new, 0 updated, 0 unchanged, 0 skipped, 3 errors" in first.output
    assert "error: section-2/broken-yaml.md: unreadable front matter" in first.output
    assert "error: section-5/bad-status.md: " in first.output  # the editor's message
    assert "error: section-6/latin-1.md: 'utf-8' codec can't decode" in first.output
    assert _count(Article) == BULK_FILES

    updated_at = db.session.scalar(select(func.max(Article.updated_at)))
    again = runner.invoke(args=["kb", "import", "--plain-markdown", str(tmp_path)])
    assert f"0 new, 0 updated, {BULK_FILES} unchanged, 0 skipped, 3 errors" in again.output
    assert (_count(Article), _count(ArticleRevision), _count(IndexTask)) == (
        BULK_FILES,
        BULK_FILES,
        0,
    )
    assert db.session.scalar(select(func.max(Article.updated_at))) == updated_at


def test_bulk_reimport_of_a_changed_file_adds_the_next_revision(app, client, tmp_path):
    """A file changed since its import makes revision 2; an unchanged file makes none."""
    _write_many(tmp_path, 3)
    import_directory_plain = _importer(allow_plain=True)
    import_directory_plain(tmp_path)
    _write_plain(tmp_path, {"section-1/guide 0001.md": "# Widget guide 1\n\nNow gizmo.\n"})
    report = import_directory_plain(tmp_path)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 2)
    numbers = [revision.number for revision in _article("section-1-guide-0001").revisions]
    assert numbers == [2, 1]
    assert _search_total(client, "gizmo") == 1


def _edit_on_the_web(client, make, slug, body):
    """Save ``slug`` through the editor's form, as an editor would."""
    article = _article(slug)
    client.login(make.user("editor"))
    form = {
        "title": article.title,
        "slug": slug,
        "summary": article.summary,
        "category_id": str(article.category_id or ""),
        "language": article.language,
        "status": article.status,
        "tags": ", ".join(article.tag_names),
        "body_md": body,
        "note": "web fix",
        "base_revision": str(len(article.revisions)),
    }
    assert client.post(f"/editor/articles/{article.id}/edit", form).status_code == 302


@pytest.mark.parametrize("batch_size", [1, 500])
def test_reimport_leaves_an_article_edited_on_the_web_alone(
    app, client, make, tmp_path, batch_size
):
    """make run imports kb_articles/ at every start: an editor's later revision survives it,
    is reported as skipped, and only --force brings the file's text back."""
    from portal.kb import importer

    source = tmp_path / "articles"
    _write(source)
    runner = app.test_cli_runner()
    assert "1 new" in runner.invoke(args=["kb", "import", str(source)]).output
    _edit_on_the_web(client, make, "track-order", "编辑在网页上改过的步骤。")
    _write(source, body="文件里的新步骤。")
    importer.BATCH_SIZE, saved_batch = batch_size, importer.BATCH_SIZE
    try:
        again = runner.invoke(args=["kb", "import", str(source)])
    finally:
        importer.BATCH_SIZE = saved_batch
    assert again.exit_code == 0, again.output
    assert "0 updated, 0 unchanged, 1 skipped" in again.output
    assert "skipped: edited on the web: track-order.md" in again.output
    db.session.expire_all()
    assert "编辑在网页上改过" in _article("track-order").body_md
    assert [r.number for r in _article("track-order").revisions] == [2, 1]

    forced = runner.invoke(args=["kb", "import", "--force", str(source)])
    assert "1 updated" in forced.output, forced.output
    db.session.expire_all()
    article = _article("track-order")
    assert "文件里的新步骤" in article.body_md
    assert [r.number for r in article.revisions] == [3, 2, 1]
    assert article.imported_revision == 3
    assert "0 skipped" in runner.invoke(args=["kb", "import", str(source)]).output


def test_reimport_of_an_unchanged_file_after_a_web_edit_counts_it_unchanged(
    app, client, make, tmp_path
):
    """Nothing is withheld when the file is the one last imported: no skip to report."""
    source = tmp_path / "articles"
    _write(source)
    runner = app.test_cli_runner()
    runner.invoke(args=["kb", "import", str(source)])
    _edit_on_the_web(client, make, "track-order", "网页上的新版本。")
    again = runner.invoke(args=["kb", "import", str(source)])
    assert "0 updated, 1 unchanged, 0 skipped" in again.output
    db.session.expire_all()
    assert "网页上的新版本" in _article("track-order").body_md


def test_import_never_overwrites_an_article_written_on_the_web(app, client, make, tmp_path):
    """A file whose slug an editor's own article already has leaves that article alone."""
    client.login(make.user("editor"))
    form = {
        "title": "网页文章",
        "slug": "track-order",
        "summary": "",
        "category_id": "",
        "language": "zh-CN",
        "status": "published",
        "tags": "",
        "body_md": "网页正文",
        "note": "",
    }
    assert client.post("/editor/articles/new", form).status_code == 302
    source = tmp_path / "articles"
    _write(source)
    report = _importer()(source)
    assert (report.created, report.updated, report.skipped) == (0, 0, ["track-order.md"])
    db.session.expire_all()
    assert _article("track-order").title == "网页文章"


def test_front_matter_ends_at_a_line_of_dashes_only(app, tmp_path):
    """A title or body holding '---' is read whole; an unclosed block is an error by name."""
    source = tmp_path / "articles"
    source.mkdir()
    (source / "dashes.md").write_text(
        "---\nslug: dashes\ntitle: 退货---换货 指南\n---\n\n上半部分\n\n---\n\n下半部分\n",
        encoding="utf-8",
    )
    (source / "open.md").write_text("---\nslug: open\ntitle: 没有结尾\n\n正文\n", encoding="utf-8")
    report = _importer()(source)
    assert report.errors == ["open.md: front matter is not closed (a line with only --- ends it)"]
    article = _article("dashes")
    assert article.title == "退货---换货 指南"
    assert "上半部分" in article.body_md and "下半部分" in article.body_md


def test_migration_0008_marks_imported_articles_and_leaves_web_ones_unmarked(
    app, client, make, tmp_path
):
    """Upgrading a database: an article whose last revision is an import may be re-imported;
    one with a later web revision, or never imported, is the editor's."""
    from flask_migrate import downgrade, upgrade

    source = tmp_path / "articles"
    _write(source)
    _write(source, slug="edited", title="网页改过")
    app.test_cli_runner().invoke(args=["kb", "import", str(source)])
    _edit_on_the_web(client, make, "edited", "网页正文")
    db.session.remove()
    downgrade(revision="0007")
    upgrade()
    imported = dict(db.session.execute(select(Article.slug, Article.imported_revision)).all())
    assert imported == {"track-order": 1, "edited": 1}
    report = _importer()(source)  # the files are unchanged, but no hash says so yet
    assert (report.unchanged, report.skipped) == (1, ["edited.md"])
    db.session.expire_all()
    assert "网页正文" in _article("edited").body_md


def _importer(**options):
    from portal.kb.importer import import_directory

    return lambda directory, **more: import_directory(directory, **options, **more)


@pytest.mark.parametrize("batch_size", [1, 10])
def test_one_slug_in_two_files_is_created_then_updated(app, tmp_path, batch_size):
    """Within a batch or across two, the second file with a slug is a revision of the first."""
    _write(tmp_path, slug="same", title="First", body="first body")
    (tmp_path / "z-same.md").write_text(
        ARTICLE.format(slug="same", title="Second", body="second body"), encoding="utf-8"
    )
    report = _importer(batch_size=batch_size)(tmp_path)
    assert (report.created, report.updated, report.errors) == (1, 1, [])
    revisions = _article("same").revisions
    assert [(r.number, r.title) for r in revisions] == [(2, "Second"), (1, "First")]
    assert "first body" in revisions[1].body_md


def test_import_with_an_author_records_each_create_and_update(app, make, tmp_path):
    """The audit log gets one entry per saved article, as the editor writes it."""
    from portal.models import AuditEntry

    editor = make.user(role="editor")
    _write(tmp_path, slug="a-1")
    _write(tmp_path, slug="a-2")
    _importer(author_id=editor.id)(tmp_path)
    _write(tmp_path, slug="a-2", body="changed")
    _importer(author_id=editor.id)(tmp_path)
    entries = db.session.execute(
        select(AuditEntry.action, AuditEntry.target_id)
        .where(AuditEntry.actor_id == editor.id)
        .order_by(AuditEntry.id)
    ).all()
    ids = {a.slug: str(a.id) for a in db.session.scalars(select(Article))}
    assert entries == [
        ("article.create", ids["a-1"]),
        ("article.create", ids["a-2"]),
        ("article.update", ids["a-2"]),
    ]


def test_a_batch_the_database_refuses_is_retried_file_by_file(app, tmp_path):
    """One row the database rejects is reported by its file; the rest of its batch is saved."""
    from sqlalchemy import text as sql

    if db.engine.dialect.name != "sqlite":
        pytest.skip("the refusal is an SQLite trigger")
    db.session.execute(
        sql(
            "CREATE TRIGGER refuse_boom BEFORE INSERT ON articles WHEN NEW.slug = 'boom' "
            "BEGIN SELECT RAISE(ABORT, 'no boom here'); END"
        )
    )
    db.session.commit()
    for slug in ("alpha", "boom", "omega"):
        _write(tmp_path, slug=slug)
    progress = []
    report = _importer()(tmp_path, progress=progress.append)
    assert (report.created, report.errors) == (
        2,
        ["boom.md: refused by the database: no boom here"],
    )
    assert sorted(a.slug for a in db.session.scalars(select(Article))) == ["alpha", "omega"]
    assert _count(ArticleRevision) == 2 and sum(progress) == 3

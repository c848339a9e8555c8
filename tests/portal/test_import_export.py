"""flask kb import / export of articles with front matter: upsert by slug, idempotent, round
trip, clear errors, batches."""

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Article, ArticleRevision, Category
from tests import ROOT
from tests.kb_import_support import (
    ARTICLE,
    article_by_slug,
    count_rows,
    import_directory_with,
    write_article,
)


def test_import_is_idempotent_and_changed_file_makes_a_revision(app, client, tmp_path):
    source = tmp_path / "articles"
    write_article(source)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["kb", "import", str(source)])
    assert first.exit_code == 0 and "1 new" in first.output
    second = runner.invoke(args=["kb", "import", str(source)])
    assert "0 new, 0 updated, 1 unchanged" in second.output
    assert (count_rows(Article), count_rows(ArticleRevision), count_rows(Category)) == (1, 1, 2)
    write_article(source, body="打开 App 的“我的订单”页面。")
    third = runner.invoke(args=["kb", "import", str(source)])
    assert "1 updated" in third.output
    assert (count_rows(Article), count_rows(ArticleRevision)) == (1, 2)
    assert client.get("/api/v1/search?q=App").json["total"] == 1


def test_import_reports_bad_files_and_keeps_good_ones(app, tmp_path):
    source = tmp_path / "articles"
    write_article(source)
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
    assert count_rows(Article) == 1


def test_export_then_import_round_trip_changes_nothing(app, tmp_path):
    runner = app.test_cli_runner()
    runner.invoke(args=["kb", "import", str(ROOT / "kb_articles")])
    before = (count_rows(Article), count_rows(ArticleRevision))
    exported = tmp_path / "export"
    result = runner.invoke(args=["kb", "export", str(exported)])
    assert result.exit_code == 0
    assert len(list(exported.glob("*.md"))) == before[0]
    again = runner.invoke(args=["kb", "import", str(exported)])
    assert f"0 new, 0 updated, {before[0]} unchanged, 0 skipped, 0 errors" in again.output
    assert (count_rows(Article), count_rows(ArticleRevision)) == before


def test_shipped_articles_import_cleanly_and_are_searchable(app, client):
    result = app.test_cli_runner().invoke(args=["kb", "import", str(ROOT / "kb_articles")])
    assert result.exit_code == 0, result.output
    assert count_rows(Article) >= 40
    languages = dict(
        db.session.execute(select(Article.language, func.count()).group_by(Article.language)).all()
    )
    assert languages["zh-TW"] >= 5 and languages["en"] >= 5
    assert client.get("/api/v1/search?q=退货").json["total"] > 0
    assert client.get("/api/v1/search?q=發票").json["total"] > 0
    assert client.get("/api/v1/search?q=license activation").json["total"] > 0


def test_front_matter_ends_at_a_line_of_dashes_only(app, tmp_path):
    """A title or body holding '---' is read whole; an unclosed block is an error by name."""
    source = tmp_path / "articles"
    source.mkdir()
    (source / "dashes.md").write_text(
        "---\nslug: dashes\ntitle: 退货---换货 指南\n---\n\n上半部分\n\n---\n\n下半部分\n",
        encoding="utf-8",
    )
    (source / "open.md").write_text("---\nslug: open\ntitle: 没有结尾\n\n正文\n", encoding="utf-8")
    report = import_directory_with()(source)
    assert report.errors == ["open.md: front matter is not closed (a line with only --- ends it)"]
    article = article_by_slug("dashes")
    assert article.title == "退货---换货 指南"
    assert "上半部分" in article.body_md and "下半部分" in article.body_md


@pytest.mark.parametrize("batch_size", [1, 10])
def test_one_slug_in_two_files_is_created_then_updated(app, tmp_path, batch_size):
    """Within a batch or across two, the second file with a slug is a revision of the first."""
    write_article(tmp_path, slug="same", title="First", body="first body")
    (tmp_path / "z-same.md").write_text(
        ARTICLE.format(slug="same", title="Second", body="second body"), encoding="utf-8"
    )
    report = import_directory_with(batch_size=batch_size)(tmp_path)
    assert (report.created, report.updated, report.errors) == (1, 1, [])
    revisions = article_by_slug("same").revisions
    assert [(r.number, r.title) for r in revisions] == [(2, "Second"), (1, "First")]
    assert "first body" in revisions[1].body_md


def test_import_with_an_author_records_each_create_and_update(app, make, tmp_path):
    """The audit log gets one entry per saved article, as the editor writes it."""
    from portal.models import AuditEntry

    editor = make.user(role="editor")
    write_article(tmp_path, slug="a-1")
    write_article(tmp_path, slug="a-2")
    import_directory_with(author_id=editor.id)(tmp_path)
    write_article(tmp_path, slug="a-2", body="changed")
    import_directory_with(author_id=editor.id)(tmp_path)
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
        write_article(tmp_path, slug=slug)
    progress = []
    report = import_directory_with()(tmp_path, progress=progress.append)
    assert (report.created, report.errors) == (
        2,
        ["boom.md: refused by the database: no boom here"],
    )
    assert sorted(a.slug for a in db.session.scalars(select(Article))) == ["alpha", "omega"]
    assert count_rows(ArticleRevision) == 2 and sum(progress) == 3

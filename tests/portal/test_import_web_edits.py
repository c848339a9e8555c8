"""flask kb import beside editors' work: an article edited or written on the web is left alone
(unless forced), and migration 0008 tells which articles were imported."""

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Article
from tests.kb_import_support import (
    article_by_slug,
    import_directory_with,
    write_article,
)


def _edit_on_the_web(client, make, slug, body):
    """Save ``slug`` through the editor's form, as an editor would."""
    article = article_by_slug(slug)
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
    write_article(source)
    runner = app.test_cli_runner()
    assert "1 new" in runner.invoke(args=["kb", "import", str(source)]).output
    _edit_on_the_web(client, make, "track-order", "编辑在网页上改过的步骤。")
    write_article(source, body="文件里的新步骤。")
    importer.BATCH_SIZE, saved_batch = batch_size, importer.BATCH_SIZE
    try:
        again = runner.invoke(args=["kb", "import", str(source)])
    finally:
        importer.BATCH_SIZE = saved_batch
    assert again.exit_code == 0, again.output
    assert "0 updated, 0 unchanged, 1 skipped" in again.output
    assert "skipped: edited on the web: track-order.md" in again.output
    db.session.expire_all()
    assert "编辑在网页上改过" in article_by_slug("track-order").body_md
    assert [r.number for r in article_by_slug("track-order").revisions] == [2, 1]

    forced = runner.invoke(args=["kb", "import", "--force", str(source)])
    assert "1 updated" in forced.output, forced.output
    db.session.expire_all()
    article = article_by_slug("track-order")
    assert "文件里的新步骤" in article.body_md
    assert [r.number for r in article.revisions] == [3, 2, 1]
    assert article.imported_revision == 3
    assert "0 skipped" in runner.invoke(args=["kb", "import", str(source)]).output


def test_reimport_of_an_unchanged_file_after_a_web_edit_counts_it_unchanged(
    app, client, make, tmp_path
):
    """Nothing is withheld when the file is the one last imported: no skip to report."""
    source = tmp_path / "articles"
    write_article(source)
    runner = app.test_cli_runner()
    runner.invoke(args=["kb", "import", str(source)])
    _edit_on_the_web(client, make, "track-order", "网页上的新版本。")
    again = runner.invoke(args=["kb", "import", str(source)])
    assert "0 updated, 1 unchanged, 0 skipped" in again.output
    db.session.expire_all()
    assert "网页上的新版本" in article_by_slug("track-order").body_md


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
    write_article(source)
    report = import_directory_with()(source)
    assert (report.created, report.updated, report.skipped) == (0, 0, ["track-order.md"])
    db.session.expire_all()
    assert article_by_slug("track-order").title == "网页文章"


def test_migration_0008_marks_imported_articles_and_leaves_web_ones_unmarked(
    app, client, make, tmp_path
):
    """Upgrading a database: an article whose last revision is an import may be re-imported;
    one with a later web revision, or never imported, is the editor's."""
    from flask_migrate import downgrade, upgrade

    source = tmp_path / "articles"
    write_article(source)
    write_article(source, slug="edited", title="网页改过")
    app.test_cli_runner().invoke(args=["kb", "import", str(source)])
    _edit_on_the_web(client, make, "edited", "网页正文")
    db.session.remove()
    downgrade(revision="0007")
    upgrade()
    imported = dict(db.session.execute(select(Article.slug, Article.imported_revision)).all())
    assert imported == {"track-order": 1, "edited": 1}
    report = import_directory_with()(source)  # the files are unchanged, but no hash says so yet
    assert (report.unchanged, report.skipped) == (1, ["edited.md"])
    db.session.expire_all()
    assert "网页正文" in article_by_slug("edited").body_md

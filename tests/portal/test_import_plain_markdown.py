"""flask kb import of plain Markdown files (no front matter): title from the heading, slug from
the path, only when asked for."""

from portal.models import Article, ArticleRevision
from tests.kb_import_support import (
    article_by_slug,
    count_rows,
    write_article,
    write_files,
)


def test_plain_markdown_import_takes_title_from_heading_and_slug_from_path(app, client, tmp_path):
    """Files without front matter: '# ' heading or file name as title, path slug, published."""
    from portal.kb.importer import import_directory

    write_files(
        tmp_path,
        {
            "退货/常見問題.md": "﻿開頭說明。\n\n# 退貨須知\n\n七天內可以退貨。\n",
            "guides/Install Guide.md": "```bash\n# not a title\n```\n\nRun the installer.\n",
        },
    )
    report = import_directory(tmp_path, allow_plain=True)
    assert (report.created, report.errors) == (2, [])
    faq = article_by_slug("tui-huo-chang-jian-wen-ti")
    assert (faq.title, faq.status, faq.category_id, faq.language) == (
        "退貨須知",
        "published",
        None,
        "zh-TW",
    )
    assert "# 退貨須知" not in faq.body_md and "七天內可以退貨" in faq.body_md
    guide = article_by_slug("guides-install-guide")
    assert (guide.title, guide.language) == ("Install Guide", "en")
    assert "# not a title" in guide.body_md
    hits = client.get("/api/v1/search?q=installer").json
    assert hits["total"] == 1


def test_plain_markdown_slugs_stay_unique_and_never_take_a_front_matter_slug(app, tmp_path):
    """a/b.md and a-b.md get distinct slugs; a path slug never overwrites a front-matter one."""
    from portal.kb.importer import import_directory

    write_article(tmp_path)  # front matter slug track-order, category orders
    write_files(
        tmp_path, {"a/b.md": "# One\nx", "a-b.md": "# Two\ny", "Track Order.md": "# 另一篇\n物流"}
    )
    report = import_directory(tmp_path, allow_plain=True)
    assert (report.created, report.errors) == (4, [])
    assert (article_by_slug("a-b").title, article_by_slug("a-b-2").title) == (
        "One",
        "Two",
    )  # path order
    assert article_by_slug("track-order").title == "如何查询订单"
    assert article_by_slug("track-order-2").title == "另一篇"


def test_plain_markdown_reimport_is_a_no_op_and_an_edit_updates(app, tmp_path):
    """Upsert by the path slug: unchanged files do nothing, an edited one makes a revision."""
    from portal.kb.importer import import_directory

    write_files(tmp_path, {"notes/sync.md": "# 同步\n正文", "plain.md": "没有标题的文件"})
    import_directory(tmp_path, allow_plain=True)
    again = import_directory(tmp_path, allow_plain=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert article_by_slug("plain").title == "plain"
    write_files(tmp_path, {"notes/sync.md": "# 同步\n改过的正文"})
    edited = import_directory(tmp_path, allow_plain=True)
    assert (edited.created, edited.updated, edited.unchanged) == (0, 1, 1)
    assert (count_rows(Article), count_rows(ArticleRevision)) == (2, 3)


def test_plain_markdown_is_still_an_error_without_allow_plain(app, tmp_path):
    """The default import keeps insisting on front matter (kb_articles must carry its slugs)."""
    from portal.kb.importer import import_directory

    write_files(tmp_path, {"x.md": "# 标题\n正文"})
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

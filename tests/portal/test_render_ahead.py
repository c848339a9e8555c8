"""A bulk import renders Markdown in worker processes ahead of its save loop; what it stores
is exactly what rendering at save would have stored."""

from sqlalchemy import select

from portal import markup
from portal.extensions import db
from portal.kb import render_ahead
from portal.kb.importer import import_directory
from portal.markup import RenderedMarkdown, render_markdown, rendered_ahead
from portal.models import Article

BODY = "## 第{n}步\n\n打开**设置**，见下表。\n\n| 项 | 值 |\n| --- | --- |\n| {n} | `x<{n}>` |\n"


def test_a_text_rendered_ahead_is_not_rendered_again():
    ready = RenderedMarkdown(html="<p>ahead</p>", toc_html="", has_toc=False)
    with rendered_ahead({"# 标题": ready}):
        assert render_markdown("# 标题") is ready
        assert render_markdown("other").html == "<p>other</p>"
    assert render_markdown("# 标题") is not ready  # only within the block


def test_an_import_rendered_in_workers_stores_what_a_save_renders(app, tmp_path, monkeypatch):
    monkeypatch.setattr(render_ahead, "PARALLEL_FROM", 1)
    monkeypatch.setattr(render_ahead, "workers", lambda: 2)
    checked = []  # HTML render_markdown() sanitised in this process
    real_clean = markup.sanitize_html
    monkeypatch.setattr(markup, "sanitize_html", lambda h: checked.append(h) or real_clean(h))
    for n in range(7):
        (tmp_path / f"step-{n}.md").write_text(
            f"---\nslug: step-{n}\ntitle: 第{n}步\n---\n\n{BODY.format(n=n)}", encoding="utf-8"
        )
    report = import_directory(tmp_path, batch_size=3)
    assert report.created == 7 and not report.errors
    assert checked == []  # all seven were rendered by the workers
    for article in db.session.scalars(select(Article)):
        expected = render_markdown(article.body_md)
        assert (article.body_html, article.toc_html) == (expected.html, expected.toc_html)
        assert "<table>" in article.body_html and "&lt;" in article.body_html

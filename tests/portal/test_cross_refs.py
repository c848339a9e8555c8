"""《Title》 in an article links, at save, to the published article of that title in the
citing article's language; an unknown title stays plain text and the editor is told."""

import re

from sqlalchemy import select

from portal.extensions import db
from portal.models import Article, ArticleCitation


def _form(**overrides):
    data = {
        "title": "如何退货",
        "slug": "how-to-return",
        "summary": "",
        "category_id": "",
        "language": "zh-CN",
        "status": "published",
        "tags": "",
        "note": "",
        "body_md": "先看《退款到账时间》，再看《不存在的文章》。\n\n`《退款到账时间》`",
    }
    data.update(overrides)
    return data


def _links(article):
    return re.findall(r'<a class="xref" href="([^"]+)"[^>]*>([^<]+)</a>', article.body_html)


def test_editor_reference_links_and_unknown_title_warns(client, make):
    make.article("退款到账时间", slug="refund-time")
    make.article("草稿里的文章", slug="a-draft", status="draft")
    client.login(make.user("editor"))
    response = client.post(
        "/editor/articles/new",
        _form(
            body_md="先看《退款到账时间》，再看《不存在的文章》和《草稿里的文章》。\n\n`《退款到账时间》`"
        ),
        follow_redirects=True,
    )
    assert response.status_code == 200
    article = db.session.scalar(select(Article).where(Article.slug == "how-to-return"))
    assert _links(article) == [("/a/refund-time", "《退款到账时间》")]  # not in code, once
    assert (
        "《不存在的文章》" in article.body_html
        and "<code>《退款到账时间》</code>" in article.body_html
    )
    page = response.get_data(as_text=True)
    assert "不存在的文章" in page and "草稿里的文章" in page  # the editor is warned of both
    assert page.count('class="flash flash-info"') == 2
    # Visible to readers as a link; a later edit keeps linking.
    assert 'href="/a/refund-time"' in client.get("/a/how-to-return").get_data(as_text=True)
    client.post(
        f"/editor/articles/{article.id}/edit",
        _form(body_md="只看《退款到账时间》", base_revision="1"),
    )
    db.session.refresh(article)
    assert _links(article) == [("/a/refund-time", "《退款到账时间》")]


def test_reference_goes_to_the_citing_articles_language(client, make):
    """A zh-TW article citing the zh-CN title links to the zh-TW translation of it."""
    original = make.article("退款到账时间", slug="refund-time")
    taiwan = make.article("退款到帳時間", slug="refund-time-zh-tw", language="zh-TW")
    taiwan.translation_of_id = original.id
    db.session.commit()
    citing = make.article("退貨", slug="return-tw", language="zh-TW", body="請看《退款到账时间》。")
    assert _links(citing) == [("/a/refund-time-zh-tw", "《退款到账时间》")]
    english = make.article(
        "Returns", slug="returns-en", language="en", body="See 《退款到账时间》 and 《Returns》."
    )
    # No English version: the original; an article never links to itself.
    assert _links(english) == [("/a/refund-time", "《退款到账时间》")]


def test_articles_citing_a_title_are_linked_when_it_is_published(client, make):
    """Saved in any order (an import): the citing article links once the cited is published."""
    citing = make.article("修改收货地址", slug="change-address", body="见《退款到账时间》。")
    assert _links(citing) == []
    cited = make.article("退款到账时间", slug="refund-time", status="draft")
    db.session.refresh(citing)
    assert _links(citing) == []  # a draft is not linked
    client.login(make.user("editor"))
    client.post(f"/editor/articles/{cited.id}/status", {"status": "published"})
    db.session.refresh(citing)
    assert _links(citing) == [("/a/refund-time", "《退款到账时间》")]


def test_an_import_links_articles_saved_together(app, tmp_path):
    """Two new articles in one import: the citing one links to the other."""
    from portal.kb.importer import import_directory

    for slug, title, body in (
        ("a-cites", "甲文章", "详见《乙文章》。"),
        ("b-cited", "乙文章", "乙的正文，提到《甲文章》。"),
    ):
        (tmp_path / f"{slug}.md").write_text(
            f"---\nslug: {slug}\ntitle: {title}\nlanguage: zh-CN\n---\n\n{body}\n", encoding="utf-8"
        )
    assert import_directory(tmp_path).created == 2
    cites = db.session.scalar(select(Article).where(Article.slug == "a-cites"))
    cited = db.session.scalar(select(Article).where(Article.slug == "b-cited"))
    assert _links(cites) == [("/a/b-cited", "《乙文章》")]
    assert _links(cited) == [("/a/a-cites", "《甲文章》")]


def _cited(article):
    return sorted(
        c.title
        for c in db.session.scalars(select(ArticleCitation).filter_by(article_id=article.id))
    )


def test_citations_follow_the_text_as_it_is_edited(client, make):
    """The table that finds citers by title (instead of scanning every article's HTML)
    holds each article's 《titles》, linked or not, and follows its edits."""
    make.article("退款到账时间", slug="refund-time")
    citing = make.article(
        "修改收货地址", slug="change-address", body="见《退款到账时间》和《发票》。"
    )
    assert _cited(citing) == ["发票", "退款到账时间"]  # one linked, one not (yet)
    client.login(make.user("editor"))
    form = _form(title=citing.title, slug=citing.slug, body_md="只提《发票》。", base_revision="1")
    assert client.post(f"/editor/articles/{citing.id}/edit", form).status_code == 302
    db.session.refresh(citing)
    assert _cited(citing) == ["发票"]
    invoice = make.article("发票", slug="invoice", status="draft")
    client.post(f"/editor/articles/{invoice.id}/status", {"status": "published"})
    db.session.refresh(citing)
    assert _links(citing) == [("/a/invoice", "《发票》")]

"""One article in three languages: translation groups, outdated marks, the reader's
language first, the editor's "translate to" flow and the localisation dashboard."""

from sqlalchemy import select

from portal.extensions import db
from portal.models import Article
from tests import ROOT


def _article(slug):
    return db.session.scalar(select(Article).where(Article.slug == slug))


def _form(article, **overrides):
    data = {
        "title": article.title,
        "slug": article.slug,
        "summary": article.summary,
        "category_id": str(article.category_id or ""),
        "language": article.language,
        "status": article.status,
        "tags": ", ".join(article.tag_names),
        "body_md": article.body_md,
        "note": "",
        "base_revision": str(len(article.revisions)),
    }
    data.update(overrides)
    return data


def _translate(client, original, language, **overrides):
    """Open "translate to" on the editor and save the pre-filled form."""
    page = client.get(f"/editor/articles/new?translate_from={original.id}&language={language}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'name="translation_of" type="hidden" value="{original.id}"' in html
    form = {
        "title": original.title,
        "slug": f"{original.slug}-{language.lower()}",
        "summary": "",
        "category_id": "",
        "language": language,
        "status": "published",
        "tags": "",
        "body_md": original.body_md,
        "note": "",
        "translation_of": str(original.id),
    }
    form.update(overrides)
    return client.post("/editor/articles/new", form)


def test_shipped_translations_link_their_languages_on_the_article_page(app, client):
    """kb_articles/ front matter `translation_of` groups the languages; each page links the
    others with hreflang, and a translation's page does not claim to be outdated."""
    result = app.test_cli_runner().invoke(args=["kb", "import", str(ROOT / "kb_articles")])
    assert result.exit_code == 0, result.output
    assert "其他语言版本：" in client.get("/a/refund-timeline").get_data(as_text=True)
    client.post("/lang/en", data={"next": "/"})
    english = _article("refund-timeline-en")
    assert english.translation_of.slug == "refund-timeline"
    original = client.get("/a/refund-timeline").get_data(as_text=True)
    assert 'href="/a/refund-timeline-en" hreflang="en"' in original
    translated = client.get("/a/refund-timeline-en").get_data(as_text=True)
    assert 'href="/a/refund-timeline" hreflang="zh-CN"' in translated
    assert "out of date" not in translated


def test_translate_flow_outdated_mark_and_dashboard(client, make):
    """An editor translates from the original's page; a later revision of the original marks
    the translation outdated (article page, dashboard) until the translation is saved."""
    original = make.article(title="退款到账时间", body="退款三天到账。", slug="refund")
    client.login(make.user("editor"))
    client.post("/lang/en", data={"next": "/"})
    assert (
        _translate(
            client, original, "en", title="Refund times", body_md="Refunds take three days."
        ).status_code
        == 302
    )
    english = _article("refund-en")
    assert (english.translation_of_id, english.source_revision) == (original.id, 1)
    edit_page = client.get(f"/editor/articles/{original.id}/edit").get_data(as_text=True)
    assert "Translate to 繁體中文" in edit_page and "Translate to English" not in edit_page

    assert (
        client.post(
            f"/editor/articles/{original.id}/edit", _form(original, body_md="退款五天到账。")
        ).status_code
        == 302
    )
    assert "may be out of date" in client.get("/a/refund-en").get_data(as_text=True)
    dashboard = client.get("/editor/localization?language=en").get_data(as_text=True)
    assert "Refund times" in dashboard.split("Not yet translated")[0]

    db.session.expire_all()
    english = _article("refund-en")
    assert (
        client.post(
            f"/editor/articles/{english.id}/edit", _form(english, body_md="Refunds take five days.")
        ).status_code
        == 302
    )
    assert "may be out of date" not in client.get("/a/refund-en").get_data(as_text=True)
    dashboard = client.get("/editor/localization?language=en").get_data(as_text=True)
    assert "Every translation is up to date." in dashboard


def test_a_group_holds_each_language_once(client, make):
    """A second English version of one original, or switching a translation to a taken
    language, is refused with a message and nothing saved."""
    original = make.article(title="发票", slug="invoice")
    client.login(make.user("editor"))
    client.post("/lang/en", data={"next": "/"})
    assert _translate(client, original, "en", title="Invoices").status_code == 302
    again = _translate(client, original, "en", title="Invoices again", slug="invoice-en-2")
    assert again.status_code == 400
    assert "already has a version in English" in again.get_data(as_text=True)
    assert _article("invoice-en-2") is None
    taiwan = _translate(client, original, "zh-TW", title="發票")
    assert taiwan.status_code == 302
    tw = _article("invoice-zh-tw")
    switched = client.post(f"/editor/articles/{tw.id}/edit", _form(tw, language="en"))
    assert switched.status_code == 400
    db.session.expire_all()
    assert _article("invoice-zh-tw").language == "zh-TW"


def test_localisation_dashboard_lists_missing_most_viewed_first_and_is_for_editors(client, make):
    popular = make.article(title="热门文章", slug="popular")
    quiet = make.article(title="冷门文章", slug="quiet")
    popular.view_count, quiet.view_count = 50, 3
    db.session.commit()
    client.login(make.user("customer"))
    assert client.get("/editor/localization").status_code == 403
    client.logout()
    client.login(make.user("editor"))
    html = client.get("/editor/localization?language=en").get_data(as_text=True)
    assert html.index("热门文章") < html.index("冷门文章")
    assert f"translate_from={popular.id}&amp;language=en" in html
    # An unknown language falls back to English rather than failing.
    assert client.get("/editor/localization?language=xx").status_code == 200


def test_reader_sees_one_article_per_group_in_their_language(client, make):
    """Home page lists: the English reader gets the English version in place of the
    original, the Chinese reader the original, never both side by side."""
    original = make.article(title="如何退货", slug="returns")
    original.view_count = 99
    db.session.commit()
    client.login(make.user("editor"))
    _translate(client, original, "en", title="How to return an item")
    client.logout()
    chinese = client.get("/").get_data(as_text=True)
    assert "如何退货" in chinese and "How to return an item" not in chinese
    client.post("/lang/en", data={"next": "/"})
    english = client.get("/").get_data(as_text=True)
    assert "How to return an item" in english and "如何退货" not in english


def test_import_links_translations_and_reports_a_bad_link_by_file(app, tmp_path):
    source = tmp_path / "articles"
    source.mkdir()
    (source / "a.md").write_text(
        "---\nslug: a\ntitle: 原文\nlanguage: zh-CN\n---\n正文\n", encoding="utf-8"
    )
    (source / "a-en.md").write_text(
        "---\nslug: a-en\ntitle: Original\nlanguage: en\ntranslation_of: a\n---\nBody\n",
        encoding="utf-8",
    )
    (source / "b-en.md").write_text(
        "---\nslug: b-en\ntitle: Lost\nlanguage: en\ntranslation_of: missing\n---\nBody\n",
        encoding="utf-8",
    )
    result = app.test_cli_runner().invoke(args=["kb", "import", str(source)])
    assert "b-en.md: translation_of names no other article: 'missing'" in result.output
    assert _article("a-en").translation_of.slug == "a"
    exported = tmp_path / "export"
    app.test_cli_runner().invoke(args=["kb", "export", str(exported)])
    assert "translation_of: a\n" in (exported / "a-en.md").read_text(encoding="utf-8")


def test_search_shows_one_translation_per_article_in_the_readers_language(client, make):
    """Both versions match "refund": the page and the API list the group once, in the
    reader's language, at the group's best rank."""
    original = make.article(title="refund 退款说明", body="refund 退款三天到账。", slug="refund")
    client.login(make.user("editor"))
    _translate(client, original, "en", title="Refund guide", body_md="A refund takes 3 days.")
    make.article(title="Refund of shipping fees", body="refund shipping", slug="shipping")
    client.logout()

    def titles():
        return [hit["title"] for hit in client.get("/api/v1/search?q=refund").json["results"]]

    chinese = titles()
    assert "refund 退款说明" in chinese and "Refund guide" not in chinese
    client.post("/lang/en", data={"next": "/"})
    english = titles()
    assert "Refund guide" in english and "refund 退款说明" not in english
    assert "Refund of shipping fees" in english
    page = client.get("/search?q=refund").get_data(as_text=True)
    assert "guide" in page and "退款说明" not in page  # titles carry <mark> tags


def test_english_autocomplete_finds_the_shipped_english_articles(app, client):
    """refu / install / password suggested nothing while every such article was Chinese."""
    app.test_cli_runner().invoke(args=["kb", "import", str(ROOT / "kb_articles")])
    expected = {
        "refu": "How long does a refund take?",
        "install": "Installing Qinghe Notes on Windows",
        "password": "Resetting a forgotten password",
    }
    for typed, title in expected.items():
        found = client.get(f"/search/autocomplete?q={typed}").json["suggestions"]
        assert title in [s["text"] for s in found], (typed, found)

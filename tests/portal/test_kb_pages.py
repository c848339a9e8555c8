"""Customer-facing KB: home, categories, article rendering, votes, views."""

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import ArticleFeedback, ArticleView
from tests.response_support import fetch

BODY = """引言段落。

## 退货 步骤

1. 打开订单
2. 申请退货

### 注意事项

| 项目 | 时限 |
|---|---|
| 退款 | 1–3 个工作日 |

```bash
sudo apt install ./qinghe-notes_4.2.1_amd64.deb
```

<script>alert('xss')</script><img src=x onerror="alert(1)"><a href="javascript:alert(1)">链接</a>
"""


def test_home_shows_tree_popular_and_recent(client, make):
    shop = make.category("shop", "购物帮助")
    returns = make.category("returns", "退货与退款", parent=shop)
    make.article("七天无理由退货", slug="seven-day", category=returns)
    page = client.get("/").get_data(as_text=True)
    assert 'name="q"' in page and "购物帮助" in page and "退货与退款" in page
    assert "七天无理由退货" in page


def test_category_page_has_breadcrumbs_and_subcategories(client, make):
    shop = make.category("shop", "购物帮助")
    returns = make.category("returns", "退货与退款", parent=shop)
    make.article("退款到账时间", slug="refund-time", category=returns)
    page = client.get("/c/shop").get_data(as_text=True)
    assert "/c/returns" in page
    page = client.get("/c/returns").get_data(as_text=True)
    assert 'href="/c/shop"' in page and "退款到账时间" in page
    assert client.get("/c/nope").status_code == 404


def test_top_level_category_lists_its_sub_categories_articles(client, make):
    """A parent category without articles of its own shows each sub-category's most viewed
    articles (grand-children's included) and a link to the rest, never "no articles"."""
    shop = make.category("shop", "购物帮助")
    returns = make.category("returns", "退货与退款", parent=shop)
    refunds = make.category("refunds", "退款", parent=returns)
    empty = make.category("empty", "空分类", parent=shop)
    for number in range(7):
        make.article(f"退款问题 {number}", slug=f"refund-{number}", category=refunds)
    popular = make.article("最常看的退货文章", slug="popular-return", category=returns)
    popular.view_count = 100
    db.session.commit()
    page = client.get("/c/shop").get_data(as_text=True)
    assert "暂无文章" not in page
    section = page.split('href="/c/returns">退货与退款</a></h2>')[1]
    assert section.index("最常看的退货文章") < section.index("退款问题")
    assert section.count('href="/a/refund-') == 4  # 5 shown per section, the popular one first
    assert "全部 8 篇文章" in section or "All 8 articles" in section
    assert f'href="/c/{empty.slug}">空分类</a></h2>' not in page  # nothing to list there


def test_article_renders_markdown_safely(client, make):
    make.article("退货指南", body=BODY, slug="guide", tags=["退货", "售后"])
    page = client.get("/a/guide").get_data(as_text=True)
    assert '<h2 id="退货-步骤">' in page and 'href="#退货-步骤"' in page  # anchor + TOC
    assert "<table>" in page and 'class="codehilite"' in page
    assert "<script>alert" not in page and "onerror" not in page and "javascript:" not in page
    assert "#退货" in page and "/tag/" in page


def test_drafts_are_hidden_from_customers(client, make):
    make.article("草稿", slug="draft-one", status="draft")
    assert client.get("/a/draft-one").status_code == 404
    client.login(make.user("editor"))
    assert client.get("/a/draft-one").status_code == 200


def test_related_articles_share_tags(client, make):
    make.article("退货流程", slug="a1", tags=["退货"])
    make.article("退货运费", slug="a2", tags=["退货"])
    make.article("安装软件", slug="a3", tags=["安装"])
    page = client.get("/a/a1").get_data(as_text=True)
    assert "退货运费" in page and "安装软件" not in page


def test_one_anonymous_vote_per_network_and_change_of_mind(client, make):
    article = make.article(slug="vote-me")
    assert client.post("/a/vote-me/feedback", {"helpful": "yes"}).status_code == 303
    client.post("/a/vote-me/feedback", {"helpful": "no", "comment": "缺少截图"})
    db.session.refresh(article)
    assert (article.helpful_yes, article.helpful_no) == (0, 1)
    votes = db.session.scalars(select(ArticleFeedback)).all()
    assert len(votes) == 1 and votes[0].comment == "缺少截图"
    other = type(client)(client.app)  # a second browser session elsewhere
    other.post("/a/vote-me/feedback", {"helpful": "yes"}, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    db.session.refresh(article)
    assert (article.helpful_yes, article.helpful_no) == (1, 1)
    # A fresh cookie from the same address is the same voter: it changes that vote.
    type(client)(client.app).post("/a/vote-me/feedback", {"helpful": "yes"})
    db.session.refresh(article)
    assert (article.helpful_yes, article.helpful_no) == (2, 0)


def test_logged_in_vote_is_per_user(client, make):
    article = make.article(slug="vote-user")
    user = make.user()
    client.login(user)
    client.post("/a/vote-user/feedback", {"helpful": "yes"})
    client.post("/a/vote-user/feedback", {"helpful": "yes"})
    vote = db.session.scalar(select(ArticleFeedback))
    assert vote.user_id == user.id and vote.anon_id is None
    db.session.refresh(article)
    assert article.helpful_yes == 1


def test_bad_vote_gets_400_and_keeps_existing_vote(client, make):
    article = make.article(slug="vote-bad")
    client.post("/a/vote-bad/feedback", {"helpful": "yes"})
    assert client.post("/a/vote-bad/feedback", {"helpful": "maybe"}).status_code == 400
    assert (
        client.post("/a/vote-bad/feedback", {"helpful": "no", "comment": "x" * 2000}).status_code
        == 400
    )
    db.session.refresh(article)
    assert article.helpful_yes == 1
    assert client.post("/a/vote-bad/feedback", {"helpful": "yes"}, csrf=False).status_code == 400


def test_not_helpful_asks_why_without_javascript(client, make):
    """A "no" comes back to the page asking why; the reason and a plain-text comment are
    kept on the same vote, a later "yes" drops the reason."""
    article = make.article(slug="why-not")
    page = client.get("/a/why-not").get_data(as_text=True)
    assert 'id="feedback-reason" class="feedback-reasons" data-reasons hidden' in page
    response = client.post("/a/why-not/feedback", {"helpful": "no"})
    assert response.status_code == 303 and response.location.endswith("#feedback-reason")
    page = client.get("/a/why-not").get_data(as_text=True)
    assert "data-reasons hidden" not in page and 'name="reason" value="outdated"' in page
    assert 'class="next-steps"' in page  # and the next step: ask or contact support
    response = client.post(
        "/a/why-not/feedback",
        {"helpful": "no", "reason": "other", "comment": "步骤\u202e不对\x07\r\n第二行"},
    )
    assert response.status_code == 303 and response.location.endswith("#feedback")
    vote = db.session.scalar(select(ArticleFeedback))
    assert (vote.helpful, vote.reason, vote.comment) == (False, "other", "步骤不对\n第二行")
    assert 'value="other" checked' in client.get("/a/why-not").get_data(as_text=True)
    # One vote per visitor still: the reason went onto the same row.
    assert db.session.scalar(select(func.count(ArticleFeedback.id))) == 1
    db.session.refresh(article)
    assert (article.helpful_yes, article.helpful_no) == (0, 1)
    client.post("/a/why-not/feedback", {"helpful": "yes"})
    db.session.refresh(vote)
    assert (vote.helpful, vote.reason) == (True, None)


def test_reason_with_the_vote_and_bad_reasons(client, make):
    """With JavaScript the reason is sent with the "no"; a made-up reason is a 400, and a
    reason beside a "yes" is dropped."""
    make.article(slug="why-js")
    response = client.post("/a/why-js/feedback", {"helpful": "no", "reason": "unclear"})
    assert response.location.endswith("#feedback")
    assert db.session.scalar(select(ArticleFeedback.reason)) == "unclear"
    assert client.post("/a/why-js/feedback", {"helpful": "no", "reason": "<b>x"}).status_code == 400
    assert (
        client.post(
            "/a/why-js/feedback", {"helpful": "no", "reason": "outdated", "comment": "x" * 1001}
        ).status_code
        == 400
    )
    assert db.session.scalar(select(ArticleFeedback.reason)) == "unclear"
    client.post("/a/why-js/feedback", {"helpful": "yes", "reason": "outdated"})
    assert db.session.scalar(select(ArticleFeedback.reason)) is None


def test_view_count_counts_a_visitor_once(client, make):
    article = make.article(slug="viewed")
    client.get("/a/viewed")
    client.get("/a/viewed")
    type(client)(client.app).get("/a/viewed")  # a fresh cookie, same network: same visitor
    type(client)(client.app).get("/a/viewed", environ_base={"REMOTE_ADDR": "10.0.0.2"})
    db.session.refresh(article)
    assert article.view_count == 2
    # The log keeps one row per session (who read what, for "also read"), the count per visitor.
    assert db.session.scalar(select(func.count()).select_from(ArticleView)) == 3


def test_the_author_does_not_count_views_of_their_own_article(client, make):
    author = make.user("editor")
    article = make.article(slug="mine", author=author)
    client.login(author)
    client.get("/a/mine")
    db.session.refresh(article)
    assert article.view_count == 0
    assert db.session.scalar(select(func.count()).select_from(ArticleView)) == 0
    client.logout()
    client.login(make.user("editor"))  # another editor is a reader like any other
    client.get("/a/mine")
    db.session.refresh(article)
    assert article.view_count == 1


def test_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404 and "search" in response.get_data(as_text=True).lower()


def test_robots_txt_keeps_crawlers_out_of_logged_pages(client):
    text = client.get("/robots.txt").get_data(as_text=True)
    assert "Disallow: /search" in text and "Disallow: /forum/ask/" in text


EMOJI = __import__("re").compile("[\U0001f300-\U0001faff\u2600-\u27bf\u2b50]")


def test_pages_draw_icons_as_svg_not_emoji(client, make):
    """Emoji render as empty boxes without an emoji font: votes, the bell, solved and locked
    badges are inline SVG beside their text."""
    from portal.forum.moderation import set_locked
    from portal.forum.services import accept_answer, create_topic, reply

    make.article("退货指南", slug="guide")
    asker, moderator = make.user(), make.user("editor")
    topic = create_topic(asker, title="退货运费谁承担？", body_md="运费怎么算？")
    accept_answer(topic, reply(topic, make.user(), "卖家承担。"), asker)
    set_locked(topic, True, moderator)
    client.login(asker)
    pages = {
        url: client.get(url).get_data(as_text=True)
        for url in ("/", "/a/guide", f"/forum/t/{topic.id}", "/forum/")
    }
    for url, html in pages.items():
        assert not EMOJI.search(html), (url, EMOJI.findall(html))
    assert pages["/a/guide"].count('<svg class="icon"') >= 3  # thumbs up, down, the bell
    assert pages[f"/forum/t/{topic.id}"].count('<svg class="icon"') >= 3


def test_search_engines_get_a_sitemap_a_description_and_a_canonical_link(client, make):
    make.article("退货指南", slug="guide", summary="七天内可以退货。")
    make.article(
        "无摘要", slug="plain", body="## 步骤\n\n第一步，打开**订单**页面。" + "很长" * 200
    )
    make.article("草稿", slug="draft", status="draft")
    sitemap = client.get("/sitemap.xml")
    assert sitemap.content_type.startswith("application/xml")
    body = sitemap.get_data(as_text=True)
    assert "<loc>http://localhost/a/guide</loc><lastmod>" in body and "/a/draft" not in body
    assert "Sitemap: http://localhost/sitemap.xml" in client.get("/robots.txt").get_data(
        as_text=True
    )
    page = client.get("/a/guide").get_data(as_text=True)
    assert '<meta name="description" content="七天内可以退货。">' in page
    assert '<link rel="canonical" href="http://localhost/a/guide">' in page
    plain = client.get("/a/plain").get_data(as_text=True)
    description = plain.split('<meta name="description" content="')[1].split('"')[0]
    assert description.startswith("步骤 第一步，打开订单页面。") and len(description) == 160


def test_static_files_have_versioned_urls_cached_for_a_year(client):
    page = client.get("/").get_data(as_text=True)
    css = page.split('href="/static/css/portal.css?v=')[1].split('"')[0]
    assert len(css) == 10
    cached = fetch(client, f"/static/css/portal.css?v={css}")
    assert cached.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    stale = fetch(client, "/static/css/portal.css?v=0000000000")
    assert "immutable" not in stale.headers.get("Cache-Control", "")


def test_a_static_file_version_is_read_once_per_process_unless_debugging(app, monkeypatch):
    """Every page asks for a dozen static URLs: outside debug mode the files are not checked
    on disk again; in debug mode an edited file gets its new version at once."""
    from portal import static_assets

    static_assets._process_version.cache_clear()
    checked = []
    real = static_assets._checked_version
    monkeypatch.setattr(
        static_assets,
        "_checked_version",
        lambda folder, name: checked.append(name) or real(folder, name),
    )
    with app.test_request_context("/"):
        first = static_assets.file_version("css/portal.css")
        assert static_assets.file_version("css/portal.css") == first and len(first) == 10
        assert checked == ["css/portal.css"]
        app.debug = True
        try:
            assert static_assets.file_version("css/portal.css") == first
        finally:
            app.debug = False
        assert checked == ["css/portal.css"] * 2
        assert static_assets.file_version("../wsgi.py") is None

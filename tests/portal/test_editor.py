"""Editor workflow: drafts, publishing, revisions with diffs and restore, taxonomy."""

from sqlalchemy import select

from portal.extensions import db
from portal.models import Article, ArticleRevision, Category, Tag


def _form(**overrides):
    data = {
        "title": "如何申请电子发票",
        "slug": "e-invoice",
        "summary": "",
        "category_id": "",
        "language": "zh-CN",
        "status": "draft",
        "tags": "发票, 电子发票",
        "body_md": "## 步骤\n\n在订单详情页点击“申请发票”。",
        "note": "",
    }
    data.update(overrides)
    return data


def _search_titles(client, q):
    return [r["title"] for r in client.get(f"/api/v1/search?q={q}").json["results"]]


def test_create_publish_edit_archive_is_reflected_in_search_at_once(client, make):
    client.login(make.user("editor"))
    response = client.post("/editor/articles/new", _form())
    assert response.status_code == 302
    article = db.session.scalar(select(Article).where(Article.slug == "e-invoice"))
    assert _search_titles(client, "电子发票") == []  # drafts are not searchable

    client.post(f"/editor/articles/{article.id}/status", {"status": "published"})
    assert _search_titles(client, "电子发票") == ["如何申请电子发票"]
    assert _search_titles(client, "電子發票") == ["如何申请电子发票"]  # 繁/简 folded

    edit = _form(
        title="电子发票下载与重开",
        status="published",
        base_revision="2",
        body_md="## 下载\n\n在“我的发票”中下载 PDF。",
        note="补充下载方法",
    )
    assert client.post(f"/editor/articles/{article.id}/edit", edit).status_code == 302
    assert _search_titles(client, "下载 PDF") == ["电子发票下载与重开"]

    client.post(f"/editor/articles/{article.id}/status", {"status": "archived"})
    assert _search_titles(client, "电子发票") == []
    numbers = db.session.scalars(
        select(ArticleRevision.number)
        .where(ArticleRevision.article_id == article.id)
        .order_by(ArticleRevision.number)
    ).all()
    assert numbers == [1, 2, 3, 4]


def test_revision_diff_and_restore(client, make):
    editor = make.user("editor")
    client.login(editor)
    client.post("/editor/articles/new", _form(body_md="第一行\n第二行：退款三天到账"))
    article = db.session.scalar(select(Article))
    client.post(
        f"/editor/articles/{article.id}/edit",
        _form(body_md="第一行\n第二行：退款七天到账", base_revision="1", note="改时限"),
    )
    page = client.get(f"/editor/articles/{article.id}/revisions/2").get_data(as_text=True)
    assert "<del>三</del>" in page and "<ins>七</ins>" in page
    listing = client.get(f"/editor/articles/{article.id}/revisions").get_data(as_text=True)
    assert "改时限" in listing and editor.display_name in listing

    assert client.post(f"/editor/articles/{article.id}/revisions/1/restore").status_code == 302
    db.session.refresh(article)
    assert article.body_md == "第一行\n第二行：退款三天到账"
    assert len(article.revisions) == 3 and article.revisions[0].note == "Restored revision 1"
    assert client.post(f"/editor/articles/{article.id}/revisions/99/restore").status_code == 302


def test_unchanged_save_makes_no_revision(client, make):
    client.login(make.user("editor"))
    client.post("/editor/articles/new", _form())
    article = db.session.scalar(select(Article))
    client.post(f"/editor/articles/{article.id}/edit", _form(base_revision="1"))
    assert len(article.revisions) == 1


def test_concurrent_edit_is_refused_not_lost(client, make):
    client.login(make.user("editor"))
    client.post("/editor/articles/new", _form())
    article = db.session.scalar(select(Article))
    client.post(f"/editor/articles/{article.id}/edit", _form(body_md="A 的修改", base_revision="1"))
    stale = client.post(
        f"/editor/articles/{article.id}/edit", _form(body_md="B 的修改", base_revision="1")
    )
    assert stale.status_code == 409
    assert "B 的修改" in stale.get_data(as_text=True)  # B's text is kept in the form
    db.session.refresh(article)
    assert article.body_md == "A 的修改"


def test_bad_article_input_gets_400_with_message(client, make):
    client.login(make.user("editor"))
    make.article(slug="taken")
    assert client.post("/editor/articles/new", _form(slug="Bad Slug!")).status_code == 400
    assert client.post("/editor/articles/new", _form(title="")).status_code == 400
    response = client.post("/editor/articles/new", _form(slug="taken"))
    assert response.status_code == 400 and "taken" in response.get_data(as_text=True)
    assert client.post("/editor/articles/new", _form(category_id="9999")).status_code == 400
    assert db.session.scalar(select(Article).where(Article.slug == "e-invoice")) is None


def test_customer_cannot_write(client, make):
    article = make.article(slug="locked")
    client.login(make.user("customer"))
    assert client.post("/editor/articles/new", _form()).status_code == 403
    assert client.post(f"/editor/articles/{article.id}/edit", _form()).status_code == 403
    assert (
        client.post(f"/editor/articles/{article.id}/status", {"status": "archived"}).status_code
        == 403
    )
    assert client.post_json("/editor/preview", {"markdown": "x"}).status_code == 403
    db.session.refresh(article)
    assert article.status == "published"


def test_live_preview_sanitises_and_needs_csrf(client, make):
    client.login(make.user("editor"))
    response = client.post_json(
        "/editor/preview", {"markdown": "## 标题\n\n<script>x()</script>**粗**"}
    )
    assert response.status_code == 200
    assert "<strong>粗</strong>" in response.json["html"] and "<script" not in response.json["html"]
    assert client.post_json("/editor/preview", {"markdown": "x"}, csrf=False).status_code == 400
    assert client.post_json("/editor/preview", {"markdown": 5}).status_code == 400


def test_categories_tree_and_moves(client, make):
    client.login(make.user("editor"))
    client.post(
        "/editor/categories", {"name": "购物", "slug": "shop", "parent_id": "", "position": "0"}
    )
    shop = db.session.scalar(select(Category).where(Category.slug == "shop"))
    client.post(
        "/editor/categories",
        {"name": "订单", "slug": "orders", "parent_id": str(shop.id), "position": "0"},
    )
    orders = db.session.scalar(select(Category).where(Category.slug == "orders"))
    assert orders.parent_id == shop.id
    # A category cannot move under its own child.
    loop = client.post(
        f"/editor/categories/{shop.id}",
        {"name": "购物", "slug": "shop", "parent_id": str(orders.id)},
    )
    assert loop.status_code == 400
    make.article(slug="in-orders", category=orders, title="订单查询方法")
    assert client.post(f"/editor/categories/{orders.id}/delete").status_code == 302
    assert db.session.get(Category, orders.id) is not None  # not empty: kept
    hits = client.get("/api/v1/search?q=订单查询&category=shop").json
    assert hits["total"] == 1  # filtering by a parent category finds its children's articles


def test_category_names_and_descriptions_follow_the_reader_language(client, make):
    """An editor gives a category English text; English readers see it, Chinese readers the
    Chinese, and an English reader of a category without English text sees the Chinese."""
    client.login(make.user("editor"))
    assert (
        client.post(
            "/editor/categories",
            {
                "name": "发票",
                "name_en": "Invoices",
                "slug": "invoices",
                "parent_id": "",
                "description": "开票与报销",
                "description_en": "Getting and changing invoices",
                "position": "0",
            },
        ).status_code
        == 302
    )
    invoices = db.session.scalar(select(Category).where(Category.slug == "invoices"))
    assert invoices.description_en == "Getting and changing invoices"
    assert "Getting and changing invoices" in client.get(
        f"/editor/categories/{invoices.id}"
    ).get_data(as_text=True)  # editable again
    make.category("plain", "售后服务")
    zh = client.get("/c/invoices").get_data(as_text=True)
    assert "<h1>发票</h1>" in zh and "开票与报销" in zh and "Getting and changing" not in zh
    client.post("/lang/en")
    en = client.get("/c/invoices").get_data(as_text=True)
    assert "<h1>Invoices</h1>" in en and "Getting and changing invoices" in en
    assert "开票与报销" not in en
    assert "<h1>售后服务</h1>" in client.get("/c/plain").get_data(as_text=True)  # falls back
    home = client.get("/").get_data(as_text=True)
    assert "Getting and changing invoices" in home


def test_tags_rename_merges(client, make):
    client.login(make.user("editor"))
    make.article(slug="t1", tags=["退货"])
    make.article(slug="t2", tags=["退换货"])
    old = db.session.scalar(select(Tag).where(Tag.name == "退换货"))
    client.post(f"/editor/tags/{old.id}/rename", {"name": "退货"})
    assert db.session.scalars(select(Tag.name)).all() == ["退货"]
    assert client.get("/api/v1/search?q=退货").json["total"] == 2


def test_tag_merge_and_category_move_reach_forum_topics(client, make):
    from portal.forum.services import create_topic
    from portal.models import Topic

    editor = make.user("editor")
    shop = make.category("shop", "购物")
    other = make.category("other", "其他")
    orders = make.category("orders", "订单", parent=other)
    asker = make.user()
    topic = create_topic(
        asker, title="订单能合并发货吗", body_md="两个订单", category_id=orders.id, tags=["合单"]
    )
    client.login(editor)
    old = db.session.scalar(select(Tag).where(Tag.name == "合单"))
    client.post(f"/editor/tags/{old.id}/rename", {"name": "合并订单"})
    assert [t.name for t in db.session.get(Topic, topic.id).tags] == ["合并订单"]
    assert client.get("/api/v1/search?q=合并订单&type=forum").json["total"] == 1
    client.post(
        f"/editor/categories/{orders.id}",
        {"name": "订单", "slug": "orders", "parent_id": str(shop.id), "position": "0"},
    )
    assert client.get("/api/v1/search?q=合并&type=forum&category=shop").json["total"] == 1
    client.post(f"/editor/categories/{orders.id}/delete")
    assert db.session.get(Category, orders.id) is not None  # a topic still uses it


def test_archived_article_answers_410_with_its_replacement_or_category(client, make):
    """Readers of a retired address get 410 Gone and somewhere to go; editors still see it."""
    shop = make.category("returns", "退货")
    old = make.article("旧的退货政策", slug="old-policy", category=shop)
    make.article("新的退货政策", slug="new-policy", category=shop)
    lone = make.article("旧的运费说明", slug="old-fees", category=shop)
    client.login(make.user("editor"))
    assert (
        client.post(
            f"/editor/articles/{old.id}/status", {"status": "archived", "replaced_by": "new-policy"}
        ).status_code
        == 302
    )
    assert (
        client.post(f"/editor/articles/{lone.id}/status", {"status": "archived"}).status_code == 302
    )
    assert client.get("/a/old-policy").status_code == 200  # editors see what they archived
    client.logout()
    gone = client.get("/a/old-policy")
    assert gone.status_code == 410
    assert 'href="/a/new-policy"' in gone.get_data(as_text=True)
    gone = client.get("/a/old-fees")
    assert gone.status_code == 410 and 'href="/c/returns"' in gone.get_data(as_text=True)
    assert client.post("/a/old-fees/feedback", {"helpful": "yes"}).status_code in (400, 410)
    assert client.get("/a/never-was").status_code == 404


def test_archiving_with_a_bad_replacement_changes_nothing(client, make):
    """An unknown, unpublished or self replacement is refused with a message."""
    article = make.article("旧文章", slug="old")
    make.article("草稿", slug="draft-next", status="draft")
    client.login(make.user("editor"))
    for replacement in ("no-such-article", "draft-next", "old"):
        response = client.post(
            f"/editor/articles/{article.id}/status",
            {"status": "archived", "replaced_by": replacement},
            follow_redirects=True,
        )
        assert response.status_code == 200
        db.session.expire_all()
        assert db.session.get(Article, article.id).status == "published", replacement


def test_slug_suggested_from_the_title_is_readable_and_free(client, make):
    """Pinyin for Chinese, words for English, -2 when taken; editors only."""
    make.article("退货政策", slug="tui-huo-zheng-ce")
    client.login(make.user("editor"))
    assert client.get("/editor/slug?title=退货政策").json == {"slug": "tui-huo-zheng-ce-2"}
    assert client.get("/editor/slug?title=Refund policy (2026)!").json == {
        "slug": "refund-policy-2026"
    }
    assert client.get("/editor/slug?title=").json == {"slug": ""}
    assert client.get("/editor/slug?title=？！").json == {"slug": "article"}
    long = client.get("/editor/slug?title=" + "青禾笔记同步冲突" * 10).json["slug"]
    assert len(long) <= 60 and not long.endswith("-")
    assert "js/slug.js" in client.get("/editor/articles/new").get_data(as_text=True)
    client.logout()
    client.login(make.user("customer"))
    assert client.get("/editor/slug?title=x").status_code == 403


def test_link_to_an_article_offers_published_articles_as_citations(client, make):
    """The editor's 'link to an article' box: published articles only, each offered as the
    《title》 citation the save turns into a link; nothing for an empty box; editors only."""
    published = make.article("退货运费由谁承担", slug="return-shipping", status="published")
    make.article("退货草稿：运费新规", slug="return-draft", status="draft")
    customer, editor = make.user(), make.user("editor")
    client.login(customer)
    assert client.get("/editor/article-links?q=退货").status_code in (302, 403)
    client.logout()
    client.login(editor)
    found = client.get("/editor/article-links?q=退货运费").get_json()["articles"]
    assert [a["citation"] for a in found] == [f"《{published.title}》"]
    assert found[0]["url"].endswith("/return-shipping")
    assert client.get("/editor/article-links?q=").get_json() == {"articles": []}
    long = client.get("/editor/article-links", query_string={"q": "退货" * 500})
    assert long.status_code == 200
    page = client.get("/editor/articles/new").get_data(as_text=True)
    assert 'id="link-search"' in page and "js/article_links.js" in page

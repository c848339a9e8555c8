"""My page: my questions and their states, watches, notifications, recommendations."""

import re

import pytest

from portal.extensions import db
from portal.forum.services import accept_answer, create_topic, reply
from portal.me.services import question_state, recommended_articles
from portal.models import Watch
from portal.notify.services import notify


def ask(author, title, **kwargs):
    return create_topic(author, title=title, body_md="具体情况如下，请帮忙看看。", **kwargs)


@pytest.fixture
def shop(make):
    return make.category("shop", "购物帮助")


def test_my_page_requires_login(client):
    """Anonymous visitors are sent to log in and come back."""
    response = client.get("/me/")
    assert response.status_code == 302
    assert "/login" in response.location and "next=" in response.location


def test_my_page_lists_my_questions_with_their_state(client, make, shop):
    """Solved, answered by an expert, assigned and waiting questions each show their state."""
    me, helper, expert = make.user(), make.user(), make.user("expert")
    solved = ask(me, "退货运费谁承担？", category_id=shop.id)
    accept_answer(solved, reply(solved, helper, "质量问题由商家承担。"), me)
    answered = ask(me, "发票抬头写错了怎么办？", category_id=shop.id)
    reply(answered, expert, "在订单页重新申请发票即可。")
    assigned = ask(me, "会员积分什么时候到账？", category_id=shop.id)
    assigned.routing_state = "assigned"  # what the router sets when an expert gets it
    db.session.commit()
    waiting = ask(me, "快递一直不更新怎么办？", category_id=shop.id)
    ask(helper, "别人的问题不应出现", category_id=shop.id)

    states = {t.title: question_state(t) for t in (solved, answered, assigned, waiting)}
    assert states == {
        "退货运费谁承担？": "solved",
        "发票抬头写错了怎么办？": "answered",
        "会员积分什么时候到账？": "assigned",
        "快递一直不更新怎么办？": "waiting",
    }

    client.login(me)
    page = client.get("/me/").get_data(as_text=True)
    for title, state in states.items():
        assert re.search(re.escape(title) + rf'</a>\s*<span class="status state-{state}"', page)
    assert "别人的问题不应出现" not in page


def test_my_page_lists_watches_and_notifications(client, make, shop):
    """Watched topics and categories are links; the latest notifications link to the list."""
    me, other = make.user(), make.user()
    topic = ask(other, "大家的退货经验分享", category_id=shop.id, kind="discussion")
    db.session.add_all(
        [Watch(user_id=me.id, topic_id=topic.id), Watch(user_id=me.id, category_id=shop.id)]
    )
    notify([me.id], "reply", "有人回复了你关注的话题", url="/forum/t/1", email=False)
    db.session.commit()

    client.login(me)
    page = client.get("/me/").get_data(as_text=True)
    assert "大家的退货经验分享" in page and 'href="/forum/c/shop"' in page
    assert "有人回复了你关注的话题" in page and 'href="/notifications"' in page


@pytest.fixture
def library(make, shop):
    """Articles: two about returns (tag 退货), one on invoices, one unrelated, one draft."""
    returns = make.category("returns", "退货与退款", parent=shop)
    software = make.category("software", "青禾笔记")
    return {
        "policy": make.article(
            "七天无理由退货政策",
            slug="return-policy",
            category=returns,
            tags=["退货"],
            body="签收次日起七天内可申请退货。",
        ),
        "shipping": make.article(
            "退货运费说明", slug="return-shipping", tags=["退货"], body="质量问题运费由我们承担。"
        ),
        "invoice": make.article(
            "如何开具发票", slug="invoice", category=shop, body="在订单详情页申请电子发票。"
        ),
        "install": make.article(
            "安装青禾笔记", slug="install", category=software, body="下载安装包并运行。"
        ),
        "draft": make.article(
            "退货草稿",
            slug="return-draft",
            status="draft",
            tags=["退货"],
            body="还没写完的退货说明。",
        ),
    }


def test_recommendations_follow_viewed_tags_and_searches(client, make, library):
    """Shared tags with what I read and my searches lead; read articles and drafts never show."""
    me = make.user()
    client.login(me)
    client.get("/a/return-policy")
    client.get("/search?q=发票")

    slugs = [a.slug for a in recommended_articles(me.id)]
    assert "return-shipping" in slugs and "invoice" in slugs
    assert "return-policy" not in slugs and "return-draft" not in slugs
    assert "install" not in slugs

    page = client.get("/me/").get_data(as_text=True)
    assert "退货运费说明" in page and "如何开具发票" in page


def test_recommendations_fall_back_to_popular_articles(make, library):
    """Without any history, the most viewed published articles are recommended."""
    me = make.user()
    library["install"].view_count = 50
    db.session.commit()
    recommended = recommended_articles(me.id, limit=3)
    assert recommended[0].slug == "install" and len(recommended) == 3
    assert all(a.status == "published" for a in recommended)


def test_other_peoples_history_does_not_leak(client, make, library):
    """Recommendations use my views and searches only."""
    me, other = make.user(), make.user()
    client.login(other)
    client.get("/a/return-policy")
    client.get("/search?q=安装")
    slugs = [a.slug for a in recommended_articles(me.id, limit=10)]
    assert "return-policy" in slugs  # popular fallback: not excluded for me
    library["invoice"].view_count = 99
    db.session.commit()
    assert recommended_articles(me.id, limit=1)[0].slug == "invoice"


def test_my_watches_include_my_own_questions_and_followed_articles(client, make, shop):
    me = make.user()
    mine = ask(me, "我的快递一直没到", category_id=shop.id)
    followed = make.article("运费说明", slug="fees")
    client.login(me)
    client.post("/a/fees/follow")
    watches = client.get("/me/").get_data(as_text=True).split("my-watches")[1]
    assert f'href="/forum/t/{mine.id}"' in watches and 'href="/a/fees"' in watches
    assert followed.title in watches

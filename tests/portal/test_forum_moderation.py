"""Forum moderation: flags and the flag queue, hide/unhide, lock, move, bans, the new-account
throttle, and turning a solved question into a draft article."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.clock import now
from portal.extensions import db
from portal.forum.moderation import flag_post, set_post_hidden
from portal.forum.services import (
    PostingForbidden,
    PostingThrottled,
    accept_answer,
    create_topic,
    reply,
)
from portal.models import Article, Flag, Post, Topic
from portal.models._time import utcnow


def ask(author, title="退货运费谁承担？", **kwargs):
    kwargs.setdefault("body_md", "买的衣服不合适，想退货，运费怎么算？")
    return create_topic(author, title=title, **kwargs)


def forum_hits(client, q):
    return [
        (r["type"], r["id"]) for r in client.get(f"/api/v1/search?q={q}&type=forum").json["results"]
    ]


def html(client, url):
    return client.get(url).get_data(as_text=True)


@pytest.fixture
def thread(make):
    """A question with one good and one spam reply."""
    asker = make.user()
    topic = ask(asker)
    good = reply(topic, make.user(), "质量问题由卖家承担运费。")
    spam = reply(topic, make.user(), "便宜代购加微信 spam123 运费全免")
    return topic, good, spam


def test_flag_queue_and_hiding_removes_post_from_page_and_search(client, make, thread):
    topic, good, spam = thread
    reader = make.user()
    client.login(reader)
    assert client.post(f"/forum/p/{spam.id}/flag", {"reason": "广告"}).status_code == 302
    again = client.post(f"/forum/p/{spam.id}/flag", {"reason": "还是广告"})
    # One open flag per reader and post: said on the topic page, not on an error page.
    assert again.status_code == 303 and f"/forum/t/{topic.id}" in again.location
    back = client.get(again.location).get_data(as_text=True)
    assert "flash-info" in back and "便宜代购" in back
    assert db.session.scalar(select(func.count()).select_from(Flag)) == 1
    assert client.post(f"/forum/p/{spam.id}/flag", {"reason": ""}).status_code == 400
    assert client.get("/forum/flags").status_code == 403
    assert forum_hits(client, "spam123") == [("forum", topic.id)]
    client.logout()

    client.login(make.user("editor"))
    queue = html(client, "/forum/flags")
    assert "广告" in queue and "spam123" in queue
    flag = db.session.scalar(select(Flag))
    response = client.post(f"/forum/flags/{flag.id}/resolve", {"action": "hide"})
    assert response.status_code == 302
    db.session.refresh(flag)
    assert flag.resolution == "hidden" and flag.resolved_at is not None
    assert spam.hidden
    assert "spam123" not in html(client, "/forum/flags")
    assert "spam123" in html(client, f"/forum/t/{topic.id}")  # moderators still see it
    client.logout()

    client.login(reader)
    page = html(client, f"/forum/t/{topic.id}")
    assert "spam123" not in page and "质量问题由卖家承担运费" in page
    assert forum_hits(client, "spam123") == []
    assert forum_hits(client, "质量问题") == [("forum", topic.id)]
    db.session.refresh(topic)
    assert topic.reply_count == 1


def test_dismissing_a_flag_keeps_the_post(client, make, thread):
    _topic, good, _spam = thread
    flag = flag_post(good, make.user(), "我不同意")
    client.login(make.user("admin"))
    client.post(f"/forum/flags/{flag.id}/resolve", {"action": "dismiss"})
    db.session.refresh(flag)
    assert flag.resolution == "dismissed" and not good.hidden
    assert client.post(f"/forum/flags/{flag.id}/resolve", {"action": "burn"}).status_code == 400


def test_hidden_topic_vanishes_for_customers_and_from_search(client, make, thread):
    topic, _good, _spam = thread
    assert forum_hits(client, "退货运费") == [("forum", topic.id)]
    client.login(make.user("editor"))
    assert client.post(f"/forum/t/{topic.id}/hide").status_code == 302
    assert 'class="flash flash-error topic-hidden"' in html(client, f"/forum/t/{topic.id}")
    assert forum_hits(client, "退货运费") == []
    client.logout()
    assert client.get(f"/forum/t/{topic.id}").status_code == 404
    assert "退货运费谁承担？" not in html(client, "/forum/")

    client.login(make.user("editor"))
    client.post(f"/forum/t/{topic.id}/unhide")
    assert forum_hits(client, "退货运费") == [("forum", topic.id)]


def test_hiding_the_accepted_answer_unsolves_the_topic(make, thread):
    topic, good, _spam = thread
    accept_answer(topic, good, topic.author)
    set_post_hidden(good, True, make.user("editor"))
    assert not topic.solved and topic.reply_count == 1


def test_customers_cannot_moderate(client, make, thread):
    topic, good, _spam = thread
    victim = good.author
    client.login(make.user())
    for url in [
        f"/forum/p/{good.id}/hide",
        f"/forum/t/{topic.id}/hide",
        f"/forum/t/{topic.id}/lock",
        f"/forum/t/{topic.id}/move",
        f"/forum/u/{victim.id}/ban",
        f"/forum/t/{topic.id}/to-article",
    ]:
        assert client.post(url).status_code == 403, url
    db.session.refresh(topic)
    assert not topic.locked and not topic.hidden and victim.banned_at is None


def test_lock_refuses_replies(client, make, thread):
    topic, _good, _spam = thread
    client.login(make.user("editor"))
    client.post(f"/forum/t/{topic.id}/lock")
    client.logout()
    client.login(make.user())
    response = client.post(f"/forum/t/{topic.id}/reply", {"body_md": "锁了还能回复吗"})
    assert response.status_code == 403 and "锁了还能回复吗" in response.get_data(as_text=True)
    assert "锁了还能回复吗" not in [p.body_md for p in topic.posts]
    client.logout()
    client.login(make.user("editor"))
    client.post(f"/forum/t/{topic.id}/unlock")
    client.logout()
    client.login(make.user())
    assert client.post(f"/forum/t/{topic.id}/reply", {"body_md": "解锁了"}).status_code == 302


def test_move_changes_the_category_lists_and_search_filter(client, make):
    shop, software = make.category("shop", "购物"), make.category("software", "软件")
    topic = ask(make.user(), category_id=shop.id)
    client.login(make.user("editor"))
    assert (
        client.post(f"/forum/t/{topic.id}/move", {"category_id": str(software.id)}).status_code
        == 302
    )
    assert topic.title not in html(client, "/forum/c/shop")
    assert topic.title in html(client, "/forum/c/software")
    hits = client.get("/api/v1/search?q=退货运费&type=forum&category=software").json
    assert hits["total"] == 1
    assert client.get("/api/v1/search?q=退货运费&category=shop").json["total"] == 0
    assert client.post(f"/forum/t/{topic.id}/move", {"category_id": "999"}).status_code == 400


def test_banned_user_gets_a_clear_403_and_nothing_is_saved(client, make, thread):
    topic, _good, spam = thread
    spammer = spam.author
    client.login(make.user("editor"))
    assert client.post(f"/forum/u/{spammer.id}/ban", {"topic_id": topic.id}).status_code == 302
    assert spammer.banned_at is not None
    client.logout()
    client.login(spammer)
    response = client.post(f"/forum/t/{topic.id}/reply", {"body_md": "我又来了"})
    assert response.status_code == 403 and "我又来了" in response.get_data(as_text=True)
    assert (
        client.post(
            "/forum/new", {"title": "新广告", "kind": "question", "body_md": "x", "category_id": ""}
        ).status_code
        == 403
    )
    assert db.session.scalar(select(func.count()).select_from(Topic)) == 1
    with pytest.raises(PostingForbidden):
        reply(topic, spammer, "直接调用也不行")


def test_editors_cannot_be_banned(client, make):
    other_editor = make.user("editor")
    client.login(make.user("editor"))
    assert client.post(f"/forum/u/{other_editor.id}/ban").status_code == 403
    assert other_editor.banned_at is None


def test_new_accounts_are_throttled_old_ones_are_not(client, make, app):
    app.config["NEW_ACCOUNT_POSTS_PER_HOUR"] = 3
    newbie = make.user()
    topic = ask(newbie)
    reply(topic, newbie, "补充一")
    reply(topic, newbie, "补充二")
    client.login(newbie)
    response = client.post(f"/forum/t/{topic.id}/reply", {"body_md": "第四条"})
    assert response.status_code == 429 and "第四条" in response.get_data(as_text=True)
    response = client.post(
        "/forum/new",
        {"title": "再问一个", "kind": "question", "body_md": "内容", "category_id": ""},
    )
    assert response.status_code == 429
    assert db.session.scalar(select(func.count()).select_from(Post)) == 3
    with pytest.raises(PostingThrottled):
        reply(topic, newbie, "直接调用")
    db.session.rollback()

    # an hour later the window has moved on
    app.config["CLOCK"] = lambda: utcnow() + timedelta(hours=1, minutes=1)
    assert reply(topic, newbie, "一小时后").id
    app.config["CLOCK"] = None

    veteran = make.user()
    veteran.created_at = now() - timedelta(days=30)
    db.session.commit()
    for i in range(5):
        reply(topic, veteran, f"老用户回复 {i}")


def test_turn_a_solved_question_into_a_draft_article(client, make, app):
    shop = make.category("shop", "购物")
    asker = make.user()
    topic = ask(asker, category_id=shop.id, tags=["退货", "运费"])
    answer = reply(topic, make.user(), "质量问题由卖家承担，**七天无理由**由买家承担。")
    client.login(make.user("editor"))
    assert client.post(f"/forum/t/{topic.id}/to-article").status_code == 400  # unsolved
    accept_answer(topic, answer, asker)
    make.article("占位", slug="tui-huo-yun-fei-shui-cheng-dan")  # the title's slug is taken

    response = client.post(f"/forum/t/{topic.id}/to-article")
    article = db.session.scalar(select(Article).where(Article.status == "draft"))
    assert response.status_code == 302
    assert response.location.endswith(f"/editor/articles/{article.id}/edit")
    assert article.slug == "tui-huo-yun-fei-shui-cheng-dan-2" and article.title == topic.title
    assert article.category_id == shop.id and sorted(article.tag_names) == ["运费", "退货"]
    body = article.body_md
    assert body.index("运费怎么算") < body.index("## 解答") < body.index("七天无理由")
    assert body.rstrip().splitlines()[-1].endswith(f"(/forum/t/{topic.id})")
    assert article.revisions[0].note == f"From forum topic #{topic.id}"
    db.session.refresh(topic)
    assert topic.article_id == article.id
    # a second click opens the same draft instead of making another
    client.post(f"/forum/t/{topic.id}/to-article")
    assert db.session.scalar(select(func.count()).select_from(Article)) == 2

    client.logout()
    client.login(make.user("expert"))
    assert client.post(f"/forum/t/{topic.id}/to-article").status_code == 403


def test_hiding_the_opening_post_hides_the_topic(client, make, thread):
    topic, _good, _spam = thread
    client.login(make.user("editor"))
    client.post(f"/forum/p/{topic.posts[0].id}/hide")
    assert topic.hidden and forum_hits(client, "退货运费") == []
    client.post(f"/forum/p/{topic.posts[0].id}/unhide")
    assert not topic.hidden and not topic.posts[0].hidden


@pytest.mark.parametrize("role", [None, "customer", "expert", "editor", "admin"])
def test_every_forum_page_renders_for_every_visitor(client, make, thread, role):
    topic, good, spam = thread
    accept_answer(topic, good, topic.author)
    flag_post(spam, make.user(), "广告")
    set_post_hidden(spam, True, make.user("editor"))
    make.category("shop", "购物")
    if role:
        client.login(make.user(role))
    pages = [
        "/forum/",
        "/forum/?sort=top&tag=退货",
        "/forum/c/shop",
        f"/forum/t/{topic.id}",
        f"/forum/t/{topic.id}?quote={good.id}",
        "/forum/new",
        f"/forum/p/{good.id}/flag",
        "/forum/flags",
    ]
    for url in pages:
        response = client.get(url)
        expected = 200
        if role is None and url in ("/forum/new", f"/forum/p/{good.id}/flag", "/forum/flags"):
            expected = 302  # log in first
        elif url == "/forum/flags" and role not in ("editor", "admin"):
            expected = 403
        assert response.status_code == expected, (url, response.status_code)
    page = html(client, f"/forum/t/{topic.id}")
    assert ("spam123" in page) is (role in ("editor", "admin"))
    assert (f"/forum/t/{topic.id}/to-article" in page) is (role in ("editor", "admin"))

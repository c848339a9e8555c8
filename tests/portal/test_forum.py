"""Forum posting: topics, replies, quotes, edit history, soft delete, lists, watches and
notifications, live preview, CSRF and bad input (votes and accepted answers:
test_forum_answers.py)."""

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.forum.services import (
    ForumError,
    accept_answer,
    reply,
    vote,
)
from portal.models import Notification, OutboxMail, Post, PostEdit, PostVote, Topic, Watch
from tests.forum_support import ask, page, titles, topic_form


@pytest.fixture
def shop(make):
    return make.category("shop", "购物帮助")


# -- topics and replies ---------------------------------------------------------------------


def test_new_topic_form_creates_a_question_the_asker_watches(client, make, shop):
    """The plain form makes a topic with its opening post, tags and category."""
    asker = make.user()
    client.login(asker)
    assert client.get("/forum/new?category=shop").status_code == 200
    response = client.post("/forum/new", topic_form(category_id=str(shop.id), wants_expert="y"))
    assert response.status_code == 302
    topic = db.session.scalar(select(Topic))
    assert response.location.endswith(f"/forum/t/{topic.id}")
    assert topic.kind == "question" and topic.category_id == shop.id and topic.wants_expert
    assert topic.routing_state == "waiting" and topic.reply_count == 0
    assert sorted(t.name for t in topic.tags) == ["发票", "售后"]
    assert [(p.is_question, p.body_md) for p in topic.posts] == [
        (True, "我把公司名称写错了，能重开吗？")
    ]
    assert db.session.scalar(select(Watch).where(Watch.topic_id == topic.id)).user_id == asker.id
    html = page(client, f"/forum/t/{topic.id}")
    assert "发票抬头写错了怎么办？" in html and "我把公司名称写错了" in html


def test_discussion_has_no_routing(make):
    topic = ask(make.user(), "分享退货经验", kind="discussion", wants_expert=True)
    assert topic.routing_state == "none" and not topic.wants_expert and not topic.is_question


def test_anonymous_visitors_read_but_log_in_to_post(client, make):
    topic = ask(make.user())
    assert "退货运费谁承担？" in page(client, f"/forum/t/{topic.id}")
    response = client.get("/forum/new")
    assert response.status_code == 302 and "/login?next=" in response.location
    response = client.post(f"/forum/t/{topic.id}/reply", {"body_md": "匿名回复"})
    assert response.status_code == 302 and "/login" in response.location
    assert response.location.endswith(f"next=/forum/t/{topic.id}")  # back to the topic after
    assert db.session.scalar(select(func.count()).select_from(Post)) == 1


def test_reply_updates_counts_and_shows_on_the_page(client, make, clock):
    topic = ask(make.user())
    helper = make.user()
    clock.advance(minutes=30)
    client.login(helper)
    response = client.post(f"/forum/t/{topic.id}/reply", {"body_md": "**七天内**可以免费退货。"})
    post = db.session.scalar(select(Post).where(Post.is_question.is_(False)))
    assert response.status_code == 302 and response.location.endswith(f"#post-{post.id}")
    db.session.refresh(topic)
    assert topic.reply_count == 1 and topic.last_activity_at == clock.current
    assert post.created_at == clock.current
    assert "<strong>七天内</strong>" in page(client, f"/forum/t/{topic.id}")


def test_quote_prefills_the_reply_box_without_javascript(client, make):
    topic = ask(make.user())
    answer = reply(topic, make.user(name="老王"), "第一行\n\n第二行")
    client.login(make.user())
    html = page(client, f"/forum/t/{topic.id}?quote={answer.id}")
    assert "&gt; 老王" in html and "&gt; 第一行\n&gt;\n&gt; 第二行" in html


def test_too_long_or_empty_reply_is_refused_and_the_text_kept(client, make):
    topic = ask(make.user())
    client.login(make.user())
    long_text = "长" * 20_001
    response = client.post(f"/forum/t/{topic.id}/reply", {"body_md": long_text})
    assert response.status_code == 400 and long_text in response.get_data(as_text=True)
    assert client.post(f"/forum/t/{topic.id}/reply", {"body_md": "   "}).status_code == 400
    assert client.post("/forum/new", topic_form(title="")).status_code == 400
    response = client.post("/forum/new", topic_form(category_id="9999"))
    assert response.status_code == 400 and "我把公司名称写错了" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Post)) == 1


def test_services_validate_input(make):
    user = make.user()
    with pytest.raises(ForumError):
        ask(user, title="  ")
    with pytest.raises(ForumError):
        ask(user, kind="poll")
    with pytest.raises(ForumError):
        ask(user, tags=["a", "b", "c", "d", "e", "f"])
    with pytest.raises(ForumError):
        ask(user, category_id=12345)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Topic)) == 0


def test_edit_keeps_history_visible_on_the_topic_page(client, make):
    asker = make.user()
    topic = ask(asker, "退货运费", body_md="旧的问题描述")
    question = topic.posts[0]
    client.login(asker)
    assert "旧的问题描述" in page(client, f"/forum/p/{question.id}/edit")
    response = client.post(
        f"/forum/p/{question.id}/edit", {"title": "退货运费谁来承担？", "body_md": "新的问题描述"}
    )
    assert response.status_code == 302
    db.session.refresh(topic)
    assert topic.title == "退货运费谁来承担？" and question.body_md == "新的问题描述"
    edit = db.session.scalar(select(PostEdit))
    assert (edit.old_title, edit.old_body_md, edit.editor_id) == (
        "退货运费",
        "旧的问题描述",
        asker.id,
    )
    assert question.edited_at is not None
    html = page(client, f"/forum/t/{topic.id}")
    assert 'class="post-history"' in html and "旧的问题描述" in html and "新的问题描述" in html
    # saving the same text again is not a new version
    client.post(
        f"/forum/p/{question.id}/edit", {"title": "退货运费谁来承担？", "body_md": "新的问题描述"}
    )
    assert db.session.scalar(select(func.count()).select_from(PostEdit)) == 1


def test_only_the_author_edits_or_deletes(client, make):
    topic = ask(make.user())
    answer = reply(topic, make.user(), "原来的回答")
    client.login(make.user("editor"))  # even editors moderate by hiding, not rewriting
    assert client.get(f"/forum/p/{answer.id}/edit").status_code == 403
    assert client.post(f"/forum/p/{answer.id}/edit", {"body_md": "改掉"}).status_code == 403
    assert client.post(f"/forum/p/{answer.id}/delete").status_code == 403
    db.session.refresh(answer)
    assert answer.body_md == "原来的回答" and answer.deleted_at is None


def test_soft_delete_shows_a_placeholder_and_opening_post_deletes_topic(client, make):
    asker, helper = make.user(), make.user()
    topic = ask(asker)
    answer = reply(topic, helper, "要删除的回答")
    client.login(helper)
    assert client.post(f"/forum/p/{answer.id}/delete").status_code == 302
    db.session.refresh(topic)
    assert answer.deleted_at is not None and topic.reply_count == 0
    html = page(client, f"/forum/t/{topic.id}")
    assert "要删除的回答" not in html and 'class="post-removed"' in html
    client.logout()
    client.login(asker)
    response = client.post(f"/forum/p/{topic.posts[0].id}/delete")
    assert response.status_code == 302 and response.location.endswith("/forum/")
    assert db.session.get(Topic, topic.id).deleted_at is not None
    assert client.get(f"/forum/t/{topic.id}").status_code == 404
    assert "退货运费谁承担？" not in page(client, "/forum/")


def test_view_count_counts_each_visitor_once_per_period(client, make, clock):
    topic = ask(make.user())
    for _ in range(3):
        client.get(f"/forum/t/{topic.id}")
    client.get(f"/forum/t/{topic.id}", environ_base={"REMOTE_ADDR": "10.0.0.2"})
    db.session.refresh(topic)
    assert topic.view_count == 2
    clock.advance(minutes=31)
    client.get(f"/forum/t/{topic.id}")
    db.session.refresh(topic)
    assert topic.view_count == 3


def test_the_asker_does_not_count_views_of_their_own_topic(client, make):
    asker = make.user()
    topic = ask(asker)
    client.login(asker)
    client.get(f"/forum/t/{topic.id}")
    db.session.refresh(topic)
    assert topic.view_count == 0
    client.logout()
    client.login(make.user())
    client.get(f"/forum/t/{topic.id}")
    db.session.refresh(topic)
    assert topic.view_count == 1


# -- lists ----------------------------------------------------------------------------------


def test_lists_sort_and_filter(client, make, clock, shop):
    returns = make.category("returns", "退货", parent=shop)
    other = make.category("software", "软件")
    asker, helper = make.user(), make.user()
    old = ask(asker, "老问题", category_id=returns.id, tags=["退货"])
    clock.advance(minutes=5)
    solved = ask(asker, "已解决的问题", category_id=shop.id)
    clock.advance(minutes=5)
    chat = ask(asker, "闲聊", kind="discussion", category_id=other.id, tags=["退货"])
    clock.advance(minutes=5)
    accept_answer(solved, reply(solved, helper, "答案"), asker)
    clock.advance(minutes=5)
    voted = reply(old, helper, "好回答")
    for _ in range(2):
        vote(voted, make.user())

    assert titles(client, "/forum/") == ["老问题", "已解决的问题", "闲聊"]
    assert titles(client, "/forum/?sort=unanswered") == ["闲聊"]
    assert titles(client, "/forum/?sort=unsolved") == ["老问题"]
    assert titles(client, "/forum/?sort=top") == ["老问题", "已解决的问题", "闲聊"]
    assert titles(client, "/forum/?tag=退货") == ["老问题", "闲聊"]
    assert titles(client, "/forum/c/shop") == ["老问题", "已解决的问题"]  # sub-category too
    assert titles(client, "/forum/c/returns?tag=退货") == ["老问题"]
    assert titles(client, "/forum/c/software?sort=unanswered") == ["闲聊"]
    assert client.get("/forum/?sort=hot").status_code == 400
    assert client.get("/forum/?page=0").status_code == 400
    assert client.get("/forum/c/nope").status_code == 404
    assert chat.reply_count == 0


def test_list_pagination(client, make, app):
    user = make.user("expert")  # staff is never throttled
    for i in range(23):
        ask(user, f"问题 {i:02d}")
    first = titles(client, "/forum/")
    second = titles(client, "/forum/?page=2")
    assert len(first) == 20 and len(second) == 3 and not set(first) & set(second)
    assert 'rel="next"' in page(client, "/forum/") and 'rel="prev"' in page(
        client, "/forum/?page=2"
    )


# -- watching and notifications -------------------------------------------------------------


def test_watchers_hear_about_replies_and_new_topics_by_mail_too(client, make, shop):
    returns = make.category("returns", "退货", parent=shop)
    asker, fan, helper = make.user(), make.user(), make.user()
    client.login(fan)
    assert client.post("/forum/c/shop/watch").status_code == 302
    topic = ask(asker, category_id=returns.id)  # a sub-category of the watched one
    assert (
        db.session.scalar(
            select(Notification).where(
                Notification.user_id == fan.id, Notification.kind == "forum_topic"
            )
        )
        is not None
    )
    assert client.post(f"/forum/t/{topic.id}/watch").status_code == 302

    reply(topic, helper, "回复内容")
    kinds = {(n.user_id, n.kind) for n in db.session.scalars(select(Notification))}
    assert (asker.id, "forum_reply") in kinds and (fan.id, "forum_reply") in kinds
    assert (helper.id, "forum_reply") not in kinds  # never about your own post
    mails = db.session.scalars(select(OutboxMail.to_address)).all()
    assert mails.count(fan.email) == 2 and asker.email in mails and helper.email not in mails

    # the helper now watches too, and the asker's answer reaches them
    reply(topic, asker, "谢谢")
    assert (
        db.session.scalar(
            select(func.count()).select_from(Notification).where(Notification.user_id == helper.id)
        )
        == 1
    )

    client.post(f"/forum/t/{topic.id}/watch")  # toggles off
    client.post("/forum/c/shop/watch")
    assert db.session.scalar(select(Watch).where(Watch.user_id == fan.id)) is None


# -- preview, CSRF --------------------------------------------------------------------------


def test_preview_renders_sanitised_markdown_for_logged_in_users(client, make):
    assert client.post_json("/forum/preview", {"markdown": "x"}).status_code == 401
    client.login(make.user())
    response = client.post_json("/forum/preview", {"markdown": "**粗**<script>x()</script>"})
    assert response.status_code == 200
    assert "<strong>粗</strong>" in response.json["html"] and "<script" not in response.json["html"]
    assert client.post_json("/forum/preview", {"markdown": "x"}, csrf=False).status_code == 400
    assert client.post_json("/forum/preview", {"markdown": 5}).status_code == 400


def test_posts_without_csrf_token_are_refused(client, make):
    topic = ask(make.user())
    answer = reply(topic, make.user(), "回答")
    client.login(make.user())
    for url, data in [
        ("/forum/new", topic_form()),
        (f"/forum/t/{topic.id}/reply", {"body_md": "没有令牌"}),
        (f"/forum/p/{answer.id}/vote", {}),
        (f"/forum/t/{topic.id}/watch", {}),
        (f"/forum/p/{answer.id}/flag", {"reason": "spam"}),
    ]:
        assert client.post(url, data, csrf=False).status_code == 400, url
    assert db.session.scalar(select(func.count()).select_from(Post)) == 2
    assert db.session.scalar(select(func.count()).select_from(PostVote)) == 0


def test_markdown_in_posts_is_sanitised(client, make):
    topic = ask(make.user(), body_md='<img src=x onerror="alert(1)">[link](javascript:alert(1))')
    html = page(client, f"/forum/t/{topic.id}")
    assert "onerror" not in html and "javascript:alert" not in html

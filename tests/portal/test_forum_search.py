"""Forum topics in search: what a topic's document holds, when it changes, and how solved
topics rank."""

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.forum.moderation import set_post_hidden
from portal.forum.search_documents import guess_language, load_topics
from portal.forum.services import accept_answer, create_topic, delete_post, edit_post, reply
from portal.indexing.outbox import pending_count, reindex_all
from portal.models import IndexTask


def ask(author, title="退货运费谁承担？", **kwargs):
    kwargs.setdefault("body_md", "买的衣服不合适，想退货，运费怎么算？")
    return create_topic(author, title=title, **kwargs)


def search(client, q, doc_type="forum"):
    suffix = f"&type={doc_type}" if doc_type else ""
    return client.get(f"/api/v1/search?q={q}{suffix}").json["results"]


def test_topic_document_holds_question_accepted_answer_and_visible_replies(make):
    shop = make.category("shop", "购物")
    returns = make.category("returns", "退货", parent=shop)
    asker = make.user()
    topic = ask(asker, category_id=returns.id, tags=["退货"], body_md="## 问题\n\n**运费**怎么算？")
    first = reply(topic, make.user(), "普通回复")
    answer = reply(topic, make.user(), "被采纳的回答")
    hidden = reply(topic, make.user(), "被隐藏的广告")
    gone = reply(topic, make.user(), "被删除的回复")
    accept_answer(topic, answer, asker)
    set_post_hidden(hidden, True, make.user("editor"))
    delete_post(gone, gone.author)

    doc = load_topics({topic.id})[topic.id]
    assert doc.key == f"forum:{topic.id}" and doc.doc_type == "forum"
    assert doc.title == "退货运费谁承担？" and doc.tags == ["退货"]
    assert doc.category_ids == [shop.id, returns.id]
    assert doc.body.splitlines() == ["问题 运费怎么算？", "被采纳的回答", "普通回复"]
    assert "**" not in doc.body and first.body_md in doc.body
    assert doc.boost > 1.0 and doc.language == "zh-CN"


def test_every_searchable_change_reaches_the_index_at_once(client, make):
    asker = make.user()
    topic = ask(asker, body_md="原始描述：包裹丢失")
    assert [r["id"] for r in search(client, "包裹丢失")] == [topic.id]
    assert search(client, "包裹丢失")[0]["url"] == f"/forum/t/{topic.id}"

    answer = reply(topic, make.user(), "联系快递公司理赔")
    assert [r["id"] for r in search(client, "理赔")] == [topic.id]

    edit_post(topic.posts[0], asker, body_md="改后的描述：包裹破损", title="包裹破损怎么办")
    assert (
        search(client, "丢失") == [] and search(client, "包裹破损")[0]["title"] == "包裹破损怎么办"
    )

    delete_post(answer, answer.author)
    assert search(client, "理赔") == []
    delete_post(topic.posts[0], asker)
    assert search(client, "包裹破损") == []
    assert pending_count() == 0
    assert load_topics({topic.id}) == {}


def test_solved_topic_ranks_above_unsolved_with_the_same_words(client, make):
    asker = make.user()
    unsolved = ask(asker, "电子发票怎么下载", body_md="在哪里下载电子发票？")
    solved = ask(asker, "电子发票怎么下载", body_md="在哪里下载电子发票？")
    accept_answer(solved, reply(solved, make.user(), "订单详情页。"), asker)
    reply(unsolved, make.user(), "订单详情页。")
    assert [r["id"] for r in search(client, "电子发票 下载")] == [solved.id, unsolved.id]


def test_forum_and_article_hits_both_appear_without_a_type_filter(client, make):
    make.article("退货政策", slug="return-policy", body="签收后七天内可以退货。")
    topic = ask(make.user(), "退货要多久到账", body_md="退货后退款多久到账？")
    everything = {(r["type"], r["id"]) for r in search(client, "退货", doc_type=None)}
    assert ("forum", topic.id) in everything and any(t == "article" for t, _ in everything)
    assert {r["type"] for r in search(client, "退货", doc_type="article")} == {"article"}
    assert {r["type"] for r in search(client, "退货")} == {"forum"}


def test_search_click_leads_to_the_topic(client, make):
    topic = ask(make.user())
    data = client.get("/api/v1/search?q=运费&type=forum").json
    response = client.get(data["results"][0]["click_url"])
    assert response.status_code == 302 and f"/forum/t/{topic.id}?sid=" in response.location


def test_rebuild_includes_only_visible_topics(client, make):
    visible = ask(make.user(), "看得见的问题")
    hidden = ask(make.user(), "看不见的问题")
    hidden.hidden = True
    db.session.commit()
    reindex_all()
    assert [r["id"] for r in search(client, "问题")] == [visible.id]
    assert db.session.scalar(select(IndexTask)) is None


@pytest.mark.parametrize(
    "text, language",
    [
        ("退货运费谁承担？", "zh-CN"),
        ("退貨運費誰承擔？", "zh-TW"),
        ("How do I return an order?", "en"),
        ("我的帐号登录不了", "zh-CN"),  # 帐 is simplified, even though the fold changes it
        ("", "zh-CN"),
    ],
)
def test_language_guess(text, language):
    assert guess_language(text) == language

"""A rebuild reads every document as batches of rows (a few set-based queries a batch) and
makes them in its worker processes: they must be the documents the per-id load (what the
outbox applies) makes."""

from portal.extensions import db
from portal.forum.moderation import set_post_hidden
from portal.forum.services import accept_answer, create_topic, delete_post, reply
from portal.indexing.documents import get_source
from portal.indexing.outbox import reindex_all


def documents_by_batches(doc_type, size):
    return [doc for batch in get_source(doc_type).batches(size) for doc in batch.documents()]


def test_article_rows_make_the_documents_the_per_id_load_makes(make):
    root = make.category("help", "帮助")
    account = make.category("account", "账号", parent=root)
    security = make.category("security", "安全", parent=account)
    make.article(
        "重置密码",
        body="## 步骤\n\n1. 打开设置\n2. **重置**",
        category=security,
        tags=["密码", "账号", "安全"],
        summary="忘记密码时",
        language="zh-CN",
    )
    make.article(
        "Shipping times",
        body="Orders ship in `2` days.",
        category=root,
        tags=["shipping"],
        language="en",
    )
    make.article("没有分类", body="正文", tags=[])
    make.article("草稿", body="未发布", status="draft", category=account, tags=["密码"])
    loop = make.category("loop", "环")
    loop.parent_id = loop.id  # a cycle in the tree ends the chain, as Category.ancestors()
    db.session.commit()
    make.article("环里的文章", body="正文", category=loop)
    voted = make.article("有人投票", body="正文", tags=["投票"])
    voted.helpful_yes, voted.helpful_no = 7, 2
    db.session.commit()

    rows = documents_by_batches("article", size=2)  # several batches
    loaded = get_source("article").load({doc.doc_id for doc in rows} | {9999})
    assert rows == sorted(loaded.values(), key=lambda doc: doc.doc_id)
    assert len(rows) == 5  # the draft is not searchable
    by_title = {doc.title: doc for doc in rows}
    assert by_title["重置密码"].category_ids == [root.id, account.id, security.id]
    assert by_title["重置密码"].tags == ["安全", "密码", "账号"]
    assert by_title["重置密码"].body == "忘记密码时\n步骤 打开设置 重置"
    assert by_title["有人投票"].boost != 1.0


def test_topic_rows_make_the_documents_the_per_id_load_makes(make):
    shop = make.category("shop", "购物")
    returns = make.category("returns", "退货", parent=shop)
    asker = make.user()
    topic = create_topic(
        asker,
        title="退货运费谁承担？",
        body_md="## 问题\n\n**运费**怎么算？",
        category_id=returns.id,
        tags=["退货", "运费"],
    )
    first = reply(topic, make.user(), "普通回复")
    answer = reply(topic, make.user(), "被采纳的回答")
    hidden = reply(topic, make.user(), "被隐藏的广告")
    gone = reply(topic, make.user(), "被删除的回复")
    accept_answer(topic, answer, asker)
    set_post_hidden(hidden, True, make.user("editor"))
    delete_post(gone, gone.author)
    english = create_topic(asker, title="Where is my parcel?", body_md="It has not arrived.")
    reply(english, make.user(), "Ask the carrier.")
    no_question = create_topic(asker, title="發票怎麼開", body_md="需要發票")
    reply(no_question, make.user(), "在訂單頁")
    no_question.posts[0].hidden = True  # as a row only: moderation would hide the topic
    deleted = create_topic(asker, title="删掉的问题", body_md="删掉")
    delete_post(deleted.posts[0], asker)  # the question, so the whole topic
    hidden_topic = create_topic(asker, title="看不见的问题", body_md="隐藏")
    hidden_topic.hidden = True
    db.session.commit()

    rows = documents_by_batches("forum", size=2)
    ids = {topic.id, english.id, no_question.id, deleted.id, hidden_topic.id}
    assert rows == sorted(get_source("forum").load(ids).values(), key=lambda doc: doc.doc_id)
    assert {doc.doc_id for doc in rows} == {topic.id, english.id, no_question.id}
    doc = next(doc for doc in rows if doc.doc_id == topic.id)
    assert doc.body.splitlines() == ["问题 运费怎么算？", "被采纳的回答", "普通回复"]
    assert first.body_md in doc.body and doc.category_ids == [shop.id, returns.id]
    assert next(d for d in rows if d.doc_id == english.id).language == "en"


def test_reindex_indexes_what_the_rows_make(client, make):
    make.article("退货政策", body="签收后七天内可以**退货**。", tags=["退货"])
    create_topic(make.user(), title="退货要多久到账", body_md="退货后退款多久到账？")
    assert reindex_all() == 2
    results = client.get("/api/v1/search?q=退货").json["results"]
    assert {r["type"] for r in results} == {"article", "forum"}

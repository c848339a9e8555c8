"""The audit log: every editor and admin action leaves one entry with actor, before and after,
written in the same transaction as the change (the admin page: tests/portal/test_audit_page.py)."""

import hashlib
import io
import json

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.audit.services import TEXT_HEAD_CHARS, record
from portal.extensions import db
from portal.forum.moderation import flag_post, set_locked
from portal.forum.services import accept_answer, create_topic, reply
from portal.models import (
    Article,
    AuditEntry,
    Category,
    DownloadFile,
    Product,
    SynonymGroup,
    Tag,
    UserWord,
)


def entries(action=None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(db.session.scalars(query))


def only(action) -> AuditEntry:
    found = entries(action)
    assert len(found) == 1, [(e.action, e.summary) for e in entries()]
    return found[0]


def before(entry):
    return json.loads(entry.before_json) if entry.before_json else None


def after(entry):
    return json.loads(entry.after_json) if entry.after_json else None


def article_form(**overrides):
    data = {
        "title": "如何申请电子发票",
        "slug": "e-invoice",
        "summary": "",
        "category_id": "",
        "language": "zh-CN",
        "status": "draft",
        "tags": "发票",
        "body_md": "第一版正文",
        "note": "",
    }
    data.update(overrides)
    return data


def ask(author, title="退货运费谁承担？", **kwargs):
    return create_topic(author, title=title, body_md="衣服不合适，运费怎么算？", **kwargs)


@pytest.fixture
def editor(client, make):
    user = make.user("editor", email="wang.editor@example.com")
    client.login(user)
    return user


# -- every action type ----------------------------------------------------------------------


def test_article_create_save_publish_archive_restore(client, editor):
    assert client.post("/editor/articles/new", article_form()).status_code == 302
    article = db.session.scalar(select(Article))
    created = only("article.create")
    assert (created.actor_id, created.actor_email) == (editor.id, editor.email)
    assert (created.target_type, created.target_id) == ("article", str(article.id))
    assert before(created) is None and after(created)["title"] == "如何申请电子发票"
    assert after(created)["tags"] == ["发票"]

    edit = article_form(title="电子发票下载", base_revision="1")
    assert client.post(f"/editor/articles/{article.id}/edit", edit).status_code == 302
    saved = only("article.update")
    assert before(saved)["title"] == "如何申请电子发票" and after(saved)["title"] == "电子发票下载"
    # an unchanged save writes no revision and no entry
    client.post(f"/editor/articles/{article.id}/edit", article_form(title="电子发票下载"))
    assert len(entries("article.update")) == 1

    client.post(f"/editor/articles/{article.id}/status", {"status": "published"})
    published = only("article.publish")
    assert before(published)["status"] == "draft" and after(published)["status"] == "published"
    assert after(published)["published_at"]
    client.post(f"/editor/articles/{article.id}/status", {"status": "archived"})
    assert after(only("article.archive"))["status"] == "archived"

    client.post(f"/editor/articles/{article.id}/revisions/1/restore")
    restored = only("article.restore")
    assert before(restored)["title"] == "电子发票下载"
    assert after(restored)["title"] == "如何申请电子发票"
    assert "revision 1" in restored.summary


def test_long_article_body_is_kept_as_length_hash_and_head(client, editor):
    body = "很长的正文。" * 400  # 2,400 characters
    client.post("/editor/articles/new", article_form(body_md=body))
    entry = only("article.create")
    stored = after(entry)["body_md"]
    assert stored == {
        "chars": len(body),
        "sha256": hashlib.sha256(body.encode()).hexdigest(),
        "head": body[:TEXT_HEAD_CHARS],
    }
    assert len(entry.after_json) < 1000
    # readable Chinese (ensure_ascii=False) and keys sorted
    assert "如何申请电子发票" in entry.after_json
    assert list(json.loads(entry.after_json)) == sorted(json.loads(entry.after_json))


def test_categories_and_tags(client, editor, make):
    form = {
        "name": "发票",
        "name_en": "Invoices",
        "slug": "invoices",
        "parent_id": "",
        "description": "",
        "position": "0",
    }
    assert client.post("/editor/categories", form).status_code == 302
    category = db.session.scalar(select(Category).where(Category.slug == "invoices"))
    assert after(only("category.create"))["slug"] == "invoices"
    form["name"] = "发票与报销"
    client.post(f"/editor/categories/{category.id}", form)
    changed = only("category.update")
    assert (before(changed)["name"], after(changed)["name"]) == ("发票", "发票与报销")
    client.post(f"/editor/categories/{category.id}/delete")
    deleted = only("category.delete")
    assert before(deleted)["slug"] == "invoices" and after(deleted) is None
    assert deleted.actor_email == editor.email

    make.article("甲", tags=["退款"], author=editor)
    make.article("乙", tags=["退钱"], author=editor)
    refund, money = (db.session.scalar(select(Tag).where(Tag.name == n)) for n in ("退款", "退钱"))
    client.post(f"/editor/tags/{refund.id}/rename", {"name": "退款流程"})
    renamed = only("tag.rename")
    assert (before(renamed), after(renamed)) == ({"name": "退款"}, {"name": "退款流程"})
    client.post(f"/editor/tags/{money.id}/rename", {"name": "退款流程"})
    assert after(only("tag.merge")) == {"name": "退款流程", "merged_into": refund.id}
    client.post(f"/editor/tags/{refund.id}/delete")
    assert before(only("tag.delete")) == {"name": "退款流程"}


def test_forum_moderation_actions(client, make, editor):
    asker, writer = make.user(), make.user()
    other = make.category("other", "其他")
    topic = ask(asker)
    spam = reply(topic, writer, "便宜代购加微信")
    flag = flag_post(spam, asker, "广告")
    assert entries() == []  # a customer's flag is not a staff action

    client.post(f"/forum/flags/{flag.id}/resolve", {"action": "dismiss"})
    resolved = only("flag.resolve")
    assert before(resolved)["open_flags"] == 1 and before(resolved)["reasons"] == ["广告"]
    assert after(resolved) == {"open_flags": 0, "hidden": False, "resolution": "dismissed"}

    client.post(f"/forum/p/{spam.id}/hide")
    client.post(f"/forum/p/{spam.id}/unhide")
    assert (before(only("post.hide")), after(only("post.hide"))) == (
        {"hidden": False},
        {"hidden": True},
    )
    assert after(only("post.unhide")) == {"hidden": False}
    client.post(f"/forum/t/{topic.id}/hide")
    client.post(f"/forum/t/{topic.id}/unhide")
    assert only("topic.hide").target_id == str(topic.id)
    assert after(only("topic.unhide")) == {"hidden": False}
    client.post(f"/forum/t/{topic.id}/lock")
    client.post(f"/forum/t/{topic.id}/unlock")
    assert after(only("topic.lock")) == {"locked": True}
    assert after(only("topic.unlock")) == {"locked": False}
    client.post(f"/forum/t/{topic.id}/move", {"category_id": str(other.id)})
    moved = only("topic.move")
    assert (before(moved), after(moved)) == ({"category_id": None}, {"category_id": other.id})
    client.post(f"/forum/u/{writer.id}/ban")
    client.post(f"/forum/u/{writer.id}/unban")
    banned = only("user.ban")
    assert banned.summary == writer.email and before(banned) == {"banned_at": None}
    assert after(banned)["banned_at"] and after(only("user.unban")) == {"banned_at": None}
    assert {e.actor_id for e in entries()} == {editor.id}


def test_turning_a_topic_into_an_article(client, make, editor):
    asker = make.user()
    topic = ask(asker)
    answer = reply(topic, make.user(), "七天无理由由买家承担运费。")
    accept_answer(topic, answer, asker)
    assert entries() == []  # customers' own posts are not audited
    client.post(f"/forum/t/{topic.id}/to-article")
    article = db.session.scalar(select(Article))
    turned = only("topic.to_article")
    assert (before(turned), after(turned)) == ({"article_id": None}, {"article_id": article.id})
    assert only("article.create").target_id == str(article.id)


def test_reassign_and_admin_profile_edit_but_not_an_experts_own(client, make):
    returns = make.category("returns", "退货")
    experts = [make.expert(name, [returns]) for name in ("first", "second")]
    topic = ask(make.user(), category_id=returns.id)
    client.login(experts[0])
    client.post(
        "/experts/profile",
        {
            "categories": [str(returns.id)],
            "tags": "退货",
            "keywords": "自己改",
            "max_open": "3",
            "on_duty": "y",
        },
    )
    assert entries() == []
    client.logout()

    editor = make.user("editor")
    client.login(editor)
    client.post(f"/experts/topics/{topic.id}/reassign", {"expert_id": experts[1].id})
    reassigned = only("topic.reassign")
    assert reassigned.actor_id == editor.id and after(reassigned) == {"expert_id": experts[1].id}
    client.logout()

    admin = make.user("admin")
    client.login(admin)
    response = client.post(
        f"/experts/profile/{experts[0].id}",
        {
            "categories": [str(returns.id)],
            "tags": "退货, 运费",
            "keywords": "管理员改",
            "max_open": "7",
            "on_duty": "y",
        },
    )
    assert response.status_code == 302
    edited = only("expert_profile.update")
    assert (edited.actor_id, edited.target_id) == (admin.id, str(experts[0].id))
    assert before(edited)["keywords"] == "自己改" and after(edited)["keywords"] == "管理员改"
    assert (before(edited)["max_open"], after(edited)["max_open"]) == (3, 7)
    assert after(edited)["tags"] == ["运费", "退货"] and after(edited)["categories"] == ["returns"]


def test_downloads_upload_edit_delete_and_product(client, editor):
    assert (
        client.post(
            "/downloads/manage/products", {"name": "青禾笔记", "name_en": "Notes", "slug": "notes"}
        ).status_code
        == 302
    )
    product = db.session.scalar(select(Product))
    assert after(only("product.create"))["slug"] == "notes"
    pdf = b"%PDF-1.7\n" + b"x" * 300
    data = {
        "product_id": str(product.id),
        "title": "手册",
        "version": "4.2",
        "visibility": "public",
        "article_id": "",
        "release_notes_md": "",
        "file": (io.BytesIO(pdf), "manual.pdf"),
    }
    client.post("/downloads/manage/upload", data, content_type="multipart/form-data")
    item = db.session.scalar(select(DownloadFile))
    uploaded = only("download.upload")
    assert uploaded.actor_id == editor.id and uploaded.target_id == str(item.id)
    assert after(uploaded)["sha256"] == hashlib.sha256(pdf).hexdigest()
    edit = {
        "product_id": str(product.id),
        "title": "用户手册",
        "version": "4.2",
        "visibility": "customers",
        "article_id": "",
        "release_notes_md": "",
    }
    assert client.post(f"/downloads/manage/{item.id}/edit", edit).status_code == 302
    edited = only("download.update")
    assert (before(edited)["visibility"], after(edited)["visibility"]) == ("public", "customers")
    assert edited.actor_id == editor.id
    client.post(f"/downloads/manage/{item.id}/delete")
    deleted = only("download.delete")
    assert before(deleted)["title"] == "用户手册" and after(deleted) is None


def test_search_tuning_changes(client, editor):
    url = "/editor/search-tuning"
    client.post(f"{url}/groups", {"terms": "碎了, 破损"})
    group = db.session.scalar(select(SynonymGroup).where(SynonymGroup.terms.contains("碎了")))
    assert after(only("synonyms.create")) == {"terms": "碎了, 破损"}
    client.post(f"{url}/groups/{group.id}", {"terms": "碎了, 破损, 摔坏"})
    assert before(only("synonyms.update")) == {"terms": "碎了, 破损"}
    client.post(f"{url}/groups/{group.id}/delete")
    assert only("synonyms.delete").actor_id == editor.id
    client.post(f"{url}/words", {"word": "青禾同步器"})
    word = db.session.scalar(select(UserWord).where(UserWord.word == "青禾同步器"))
    assert after(only("product_term.add")) == {"word": "青禾同步器"}
    client.post(f"{url}/words/{word.id}/delete")
    deleted = only("product_term.delete")
    assert deleted.actor_id == editor.id and before(deleted) == {"word": "青禾同步器"}


def test_admin_role_and_active_changes_and_refusals_leave_nothing(client, make):
    admin = make.user("admin")
    target = make.user("customer", email="zhang.san@example.com")
    client.login(admin)
    client.post(f"/admin/users/{target.id}/role", {"role": "expert"})
    role = only("user.role")
    assert (before(role), after(role)) == ({"role": "customer"}, {"role": "expert"})
    assert role.actor_id == admin.id and role.summary == target.email
    client.post(f"/admin/users/{target.id}/active", {"active": "0"})
    assert after(only("user.disable")) == {"active": False}
    client.post(f"/admin/users/{target.id}/active", {"active": "1"})
    assert after(only("user.enable")) == {"active": True}
    count = len(entries())
    # refused: unknown role, the admin demoting or disabling themselves
    assert client.post(f"/admin/users/{target.id}/role", {"role": "king"}).status_code == 400
    # (an everyday mistake: refused with a message on the users page)
    assert client.post(f"/admin/users/{admin.id}/role", {"role": "customer"}).status_code == 303
    assert client.post(f"/admin/users/{admin.id}/active", {"active": "0"}).status_code == 303
    client.get("/admin/users")  # a later request commits nothing left over
    assert len(entries()) == count


# -- atomicity ------------------------------------------------------------------------------


def test_an_entry_commits_only_with_its_change(app, make):
    """The entry rides in the change's own transaction: a commit that fails keeps neither."""
    editor = make.user("editor")
    topic = ask(make.user())
    make.article("占位", tags=["重复"])
    db.session.add(Tag(name="重复"))  # pending; violates the unique name at the next flush
    with pytest.raises(IntegrityError):
        set_locked(topic, True, editor)
    db.session.rollback()
    db.session.refresh(topic)
    assert topic.locked is False and entries() == []
    set_locked(topic, True, editor)
    assert only("topic.lock").actor_id == editor.id


def test_a_refused_change_leaves_no_entry(client, editor, make):
    make.article("已有", slug="taken")
    response = client.post("/editor/articles/new", article_form(slug="taken"))
    assert response.status_code == 400
    assert entries() == []


def test_record_without_a_user_is_marked_cli(app):
    record(None, "kb.import", "", None, "12 created")
    db.session.commit()
    entry = only("kb.import")
    assert (entry.actor_id, entry.actor_email, entry.target_id) == (None, "cli", "")

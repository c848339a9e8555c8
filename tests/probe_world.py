"""A world with one of every object for the security probes, an app of their own and the
database's rows before and after a probe."""

import io
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import inspect, text

from portal.experts.profiles import profile_for
from portal.experts.router import assign_to
from portal.extensions import db
from portal.forum import services as forum
from portal.forum.moderation import flag_post
from portal.models import Product
from portal.search_tuning.blocked import block_suggestion
from portal.search_tuning.services import add_word, save_group
from tests.conftest import portal_app
from tests.factories import Factories

PDF = b"%PDF-1.7\n" + b"x" * 200


@contextmanager
def own_app(tmp_path, migrated_database, **overrides):
    """An app of our own (the conftest ``app`` fixture cannot take config), e.g. another
    search backend; rate limits off so that thousands of probes are not throttled."""
    with portal_app(tmp_path, migrated_database, RATELIMIT_ENABLED=False, **overrides) as app:
        yield app


# -- the world: one of every object ---------------------------------------------------------


@dataclass
class World:
    """Ids of one of every object; ``owner`` owns the topic, ``other`` is a second customer."""

    owner: object
    other: object
    expert: object
    other_expert: object
    editor: object
    admin: object
    victim: object  # a customer the admin routes are aimed at
    category: object
    spare_category: object
    article: object
    topic: object
    question: object  # the opening post of ``topic``
    reply: object  # written by ``other``
    expert_reply: object
    flag: object
    assignment: object
    tag_id: int
    group_id: int
    word_id: int
    file_id: int
    product: object
    extra: dict = field(default_factory=dict)

    def ids(self) -> dict[str, object]:
        """Values for the URL converters of write routes (see WRITE_ROUTES)."""
        return {
            "post_id": self.reply.id,
            "topic_id": self.topic.id,
            "flag_id": self.flag.id,
            "user_id": self.victim.id,
            "assignment_id": self.assignment.id,
            "article_id": self.article.id,
            "number": 1,
            "category_id": self.spare_category.id,
            "tag_id": self.tag_id,
            "group_id": self.group_id,
            "word_id": self.word_id,
            "file_id": self.file_id,
            "slug": self.article.slug,
            "code": "en",
            "token": "probe-token",
            **self.extra,
        }


def upload_form(
    world: "World | None" = None, name="manual.pdf", title="Manual", notes="", product_id=None
) -> dict:
    product_id = product_id or (world.product.id if world else "")
    return {
        "product_id": str(product_id),
        "title": title,
        "version": "1.0",
        "visibility": "public",
        "article_id": "",
        "release_notes_md": notes,
        "file": (io.BytesIO(PDF), name),
    }


def build_world(app, make, client) -> World:
    """Users of each role, categories, an article, a question with replies, a vote, a flag,
    expert profiles and an assignment, a tag, synonyms, a user word and a download.
    Rate limits are switched off: the probes log in and post hundreds of times."""
    limiter = app.extensions.get("portal_limiter")
    if limiter is not None:
        limiter.enabled = False
    owner, other = make.user("customer", name="owner"), make.user("customer", name="other")
    expert, other_expert = make.user("expert", name="exp"), make.user("expert", name="exp2")
    editor, admin = make.user("editor", name="ed"), make.user("admin", name="adm")
    victim = make.user("customer", name="victim")
    category = make.category(name="退货")
    spare = make.category(name="备用")
    article = make.article(
        title="退货运费说明",
        body="退货运费由卖家承担。",
        category=category,
        tags=["退货"],
        author=editor,
    )
    for user in (expert, other_expert):
        Factories().expert_profile(user, [category], on_duty=False)
    topic = forum.create_topic(
        owner,
        title="退货运费谁承担？",
        body_md="想退货，运费怎么算？",
        category_id=category.id,
        tags=["退货"],
    )
    reply = forum.reply(topic, other, "运费由卖家承担。")
    expert_reply = forum.reply(topic, expert, "请看退货运费说明。")
    forum.vote(reply, expert)
    flag = flag_post(reply, expert, "spam?")
    assignment = assign_to(topic, profile_for(expert))
    db.session.commit()
    group = save_group(None, "运费, 邮费", editor.id)
    word = add_word("探针词", editor.id)
    blocked = block_suggestion("探针广告", editor.id)
    product = Product(slug="notes", name="笔记", name_en="Notes")
    db.session.add(product)
    db.session.commit()
    client.login(editor)
    assert (
        client.post(
            "/downloads/manage/upload",
            upload_form(product_id=product.id),
            content_type="multipart/form-data",
        ).status_code
        == 302
    )
    client.logout()
    tag_id = article.tags[0].id
    file_id = db.session.execute(text("SELECT max(id) FROM download_files")).scalar()
    return World(
        owner,
        other,
        expert,
        other_expert,
        editor,
        admin,
        victim,
        category,
        spare,
        article,
        topic,
        topic.posts[0],
        reply,
        expert_reply,
        flag,
        assignment,
        tag_id,
        group.id,
        word.id,
        file_id,
        product,
        extra={"blocked_id": blocked.id},
    )


# -- the database, before and after ----------------------------------------------------------


def table_names() -> list[str]:
    return sorted(inspect(db.engine).get_table_names())


def snapshot(skip=()) -> dict[str, list]:
    """Every row of every table (the probe worlds are small), for before/after comparisons."""
    db.session.expire_all()
    return {
        name: sorted(map(repr, db.session.execute(text(f'SELECT * FROM "{name}"'))))
        for name in table_names()
        if name not in skip
    }


def row_counts() -> dict[str, int]:
    return {
        name: db.session.execute(text(f'SELECT count(*) FROM "{name}"')).scalar()
        for name in table_names()
    }


# Tables that a GET may legitimately add rows to (logging and analytics).
TELEMETRY_TABLES = {
    "search_logs",
    "search_clicks",
    "article_views",
    "topic_view_marks",
    "ask_sessions",
    "visitor_days",
    "index_tasks",
    "audit_log",
}

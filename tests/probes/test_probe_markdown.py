"""Markdown-cost probes: every Markdown field of every write route, and every preview route,
with pathological texts (thousands of brackets, deep quotes and lists, nested emphasis, long
lines). Each request answers within a time bound or is refused with a 400 that says why;
what is saved is rendered once, at save: showing it never calls the renderer again."""

import io
import time

import markdown
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from portal.extensions import db
from portal.markup import MAX_MARKDOWN_CHARS, markdown_problem, render_markdown
from portal.models import Article, Post
from tests.probe_world import build_world
from tests.probe_write_routes import WRITE_ROUTES, actor_for, fill

BOUND = 2.0  # CPU seconds per request: generous (they take well under 0.3 s)

PATHOLOGICAL = {
    "4,000 [": "[" * 4000,
    "20,000 [": "[" * 20_000,
    "200,000 >": ">" * 200_000,
    "deep quotes": "\n".join(">" * n + " a" for n in range(1, 400)),
    "nested emphasis": "*_" * 5000 + "a" + "_*" * 5000,
    "backticks": "`a" * 9000,
    "unclosed links": "[a](" * 4000,
    "unclosed tags": "<a " * 5000,
    "nested lists": "\n".join("  " * n + "- a" for n in range(500)),
    "list markers on one line": "- " * 5000 + "a",
    "code fences": "```\n" * 5000,
    "long line": "长" * 19_000,
    "many short links": "[a](http://x.example) " * 900,
}


def markdown_fields(world) -> dict[str, str]:
    """{write rule: its Markdown field}, from the one list of write routes (a field whose
    name ends in _md)."""
    fields = {}
    for rule, probe in WRITE_ROUTES.items():
        names = [name for name in probe.form(world) if name.endswith("_md")]
        if names:
            fields[rule] = names[0]
    return fields


def preview_rules(app) -> list[str]:
    return sorted(r.rule for r in app.url_map.iter_rules() if r.endpoint.endswith(".preview"))


@pytest.fixture
def world(app, make, client):
    return build_world(app, make, client)


@pytest.fixture
def no_rendering(monkeypatch):
    """Any Markdown rendering while this is active fails the request (a 500)."""

    def refuse(self, source):
        raise AssertionError("Markdown rendered on view")

    def forbid():
        monkeypatch.setattr(markdown.Markdown, "convert", refuse)

    return forbid


def test_every_markdown_field_is_probed(app, world):
    fields = markdown_fields(world)
    assert {
        "/forum/new",
        "/forum/t/<int:topic_id>/reply",
        "/forum/p/<int:post_id>/edit",
        "/forum/ask/",
        "/editor/articles/new",
        "/editor/articles/<int:article_id>/edit",
        "/downloads/manage/upload",
        "/downloads/manage/<int:file_id>/edit",
    } <= set(fields)
    assert preview_rules(app) == ["/editor/preview", "/forum/preview"]


def _form(rule, world, field, source, n):
    probe = WRITE_ROUTES[rule]
    data = {k: v for k, v in probe.form(world).items() if v is not None}
    data[field] = source
    if rule == "/editor/articles/new":
        data["slug"] = f"probe-md-{n}"
    if probe.multipart:
        data["file"] = (io.BytesIO(b"%PDF-1.7\n" + b"x" * 200), f"notes-{n}.pdf")
        data["version"] = f"1.{n}"
    return data, ({"content_type": "multipart/form-data"} if probe.multipart else {})


@pytest.mark.slow
def test_pathological_markdown_in_every_field_is_bounded_and_rendered_once(
    app, client, world, no_rendering, monkeypatch
):
    app.config["NEW_ACCOUNT_POSTS_PER_HOUR"] = 10_000  # hundreds of posts by new accounts
    slow, failures, accepted, n = [], [], [], 0
    for rule, field in sorted(markdown_fields(world).items()):
        actor = actor_for(WRITE_ROUTES[rule], world)
        client.login(actor)
        for name, source in PATHOLOGICAL.items():
            n += 1
            data, kwargs = _form(rule, world, field, source, n)
            started = time.process_time()
            response = client.post(fill(rule, world.ids()), data, **kwargs)
            spent = time.process_time() - started
            if spent > BOUND:
                slow.append((rule, name, round(spent, 2)))
            if response.status_code not in (302, 303, 400):
                failures.append((rule, name, response.status_code))
            elif (
                response.status_code == 400
                and markdown_problem(source) is None
                and len(source) <= 20_000
            ):
                failures.append((rule, name, "refused a text that renders cheaply"))
            elif response.status_code in (302, 303):
                accepted.append((rule, name))
        client.logout()
    assert not slow and not failures
    assert {name for _, name in accepted} >= {"long line", "many short links"}
    assert n >= 8 * len(PATHOLOGICAL)

    # Everything saved above is shown from the stored HTML: no rendering on any view.
    no_rendering()
    pages = [
        f"/forum/t/{topic_id}" for topic_id in db.session.scalars(text("SELECT id FROM topics"))
    ]
    pages += [
        f"/a/{slug}"
        for slug in db.session.scalars(text("SELECT slug FROM articles WHERE status='published'"))
    ]
    pages += ["/downloads/", "/forum/"]
    client.login(world.editor)
    for page in pages:
        started = time.process_time()
        response = client.get(page)
        assert response.status_code == 200, (page, response.status_code)
        assert time.process_time() - started < BOUND, page


@pytest.mark.parametrize("rule", ["/forum/preview", "/editor/preview"])
def test_previews_are_bounded_or_refused_with_a_message(app, client, world, rule):
    client.login(world.editor)
    for name, source in {**PATHOLOGICAL, "too long": "a" * (MAX_MARKDOWN_CHARS + 1)}.items():
        started = time.process_time()
        response = client.post_json(rule, {"markdown": source})
        spent = time.process_time() - started
        assert spent < BOUND, (name, spent)
        assert response.status_code in (200, 400), (name, response.status_code)
        if response.status_code == 400:
            assert response.get_json()["error"], name
        else:
            assert "html" in response.get_json()


def test_a_refused_text_says_why_and_keeps_nothing(app, client, world):
    client.login(world.owner)
    client.post("/lang/en")
    before = db.session.scalar(text("SELECT count(*) FROM posts"))
    response = client.post(f"/forum/t/{world.topic.id}/reply", {"body_md": "[" * 4000})
    assert response.status_code == 400
    assert "too much markup" in response.get_data(as_text=True)
    assert db.session.scalar(text("SELECT count(*) FROM posts")) == before


def test_views_show_the_html_stored_at_save(app, client, world, no_rendering):
    post = db.session.get(Post, world.reply.id)
    assert post.body_html == render_markdown(post.body_md).html
    article = db.session.get(Article, world.article.id)
    assert article.body_html and article.toc_html == ""
    no_rendering()
    assert "运费由卖家承担" in client.get(f"/forum/t/{world.topic.id}").get_data(as_text=True)
    assert "退货运费由卖家承担" in client.get(f"/a/{world.article.slug}").get_data(as_text=True)


def test_the_migration_renders_existing_rows_once_with_the_same_bound(app, make):
    """Rows saved before stored HTML existed (even a 4,000-"[" reply) get it at upgrade."""
    from portal.forum import services as forum

    topic = forum.create_topic(
        make.user(), title="旧帖", body_md="**旧的**正文", category_id=None, tags=[]
    )
    forum.reply(topic, make.user(), "第二条")
    db.session.commit()
    db.session.remove()
    downgrade(revision="0011")
    db.session.execute(
        text("UPDATE posts SET body_md = :b WHERE id = (SELECT max(id) FROM posts)"),
        {"b": "[" * 4000},
    )
    db.session.commit()
    db.session.remove()
    started = time.process_time()
    upgrade()
    assert time.process_time() - started < 10 * BOUND
    rows = dict(db.session.execute(text("SELECT body_md, body_html FROM posts")).all())
    assert rows["**旧的**正文"] == "<p><strong>旧的</strong>正文</p>"
    assert rows["[" * 4000] == "<p>" + "[" * 4000 + "</p>"  # shown as written

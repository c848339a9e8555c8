"""XSS probes: each payload of the corpus goes through every text and Markdown field by the
real forms, then every page (and JSON answer rendered as HTML by our scripts) that shows the
value is parsed: no script, no event handler, no javascript:/data: URL, no frames, and
template syntax is never evaluated."""

import io

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.insights.rollup import roll_up
from portal.models import Article, AskSession, Topic
from tests.probe_payloads import XSS_PAYLOADS, executable_markup
from tests.probe_world import PDF, build_world


@pytest.fixture
def world(app, make, client, clock):
    return build_world(app, make, client)


class Pages:
    """Collects every page checked, with what was wrong in it."""

    def __init__(self, client):
        self.client, self.problems, self.count = client, [], 0

    def check(self, url, html=None):
        if html is None:
            response = self.client.get(url)
            assert response.status_code < 500, url
            html = response.get_data(as_text=True)
        self.count += 1
        self.problems += [(url, p) for p in executable_markup(html)]


def plant(client, world, clock, payload: str, line: str) -> dict:
    """Write ``payload`` (Markdown fields) and ``line`` (one-line fields) into every field
    through the real forms; returns what was made."""
    made, statuses = {}, {}

    def post(name, url, data, **kwargs):
        clock.advance(hours=1)  # past the posting throttle
        statuses[name] = client.post(url, data, **kwargs).status_code

    short = line[:80]
    client.login(world.owner)
    post("display name", "/account", {"display_name": short, "locale": "zh_Hans_CN"})
    post(
        "topic",
        "/forum/new",
        {"title": line, "kind": "question", "category_id": "", "tags": short, "body_md": payload},
    )
    post("reply", f"/forum/t/{world.topic.id}/reply", {"body_md": payload})
    post(
        "edit question",
        f"/forum/p/{world.question.id}/edit",
        {"title": "退货 " + line, "body_md": payload},
    )
    post("flag", f"/forum/p/{world.reply.id}/flag", {"reason": line[:200]})
    post("feedback", f"/a/{world.article.slug}/feedback", {"helpful": "no", "comment": payload})
    ask = client.get("/forum/ask/", query_string={"title": line})
    statuses["ask page"] = ask.status_code
    token = db.session.scalars(select(AskSession.token).order_by(AskSession.id.desc())).first()
    made["ask token"] = token
    post(
        "ask",
        "/forum/ask/",
        {
            "token": token,
            "title": "问 " + line,
            "kind": "discussion",
            "category_id": "",
            "tags": "",
            "body_md": payload,
        },
    )
    client.get("/search", query_string={"q": line})
    client.get("/search", query_string={"q": "退货 " + line})
    client.logout()

    client.login(world.editor)
    post(
        "article",
        "/editor/articles/new",
        {
            "title": line,
            "slug": "xss-probe",
            "summary": line,
            "category_id": "",
            "language": "zh-CN",
            "status": "published",
            "tags": short,
            "body_md": payload,
            "note": line[:300],
            "base_revision": "",
        },
    )
    post(
        "category",
        "/editor/categories",
        {
            "name": line[:120],
            "name_en": line[:120],
            "slug": "xss-cat",
            "parent_id": "",
            "description": line[:500],
            "position": "0",
        },
    )
    post("tag rename", f"/editor/tags/{world.tag_id}/rename", {"name": line[:50]})
    post("synonyms", "/editor/search-tuning/groups", {"terms": f"{line}, 运费单"})
    post("user word", "/editor/search-tuning/words", {"word": line[:20]})
    post(
        "download",
        "/downloads/manage/upload",
        {
            "product_id": str(world.product.id),
            "title": line[:200],
            "version": "2.0",
            "visibility": "public",
            "article_id": "",
            "release_notes_md": payload,
            # One hostile file name for all batches (names with quotes or ";" are refused: 415).
            "file": (io.BytesIO(PDF), "<img src=x onerror=alert(1)>.pdf"),
        },
        content_type="multipart/form-data",
    )
    client.logout()

    client.login(world.admin)
    post(
        "expert keywords",
        f"/experts/profile/{world.expert.id}",
        {"categories": [], "tags": short, "keywords": line[:300], "on_duty": "y", "max_open": "3"},
    )
    client.logout()
    clock.advance(hours=2)
    roll_up(until=clock.current)
    made["statuses"] = statuses
    made["article"] = db.session.scalar(select(Article).where(Article.slug == "xss-probe"))
    made["topic"] = db.session.scalars(select(Topic).order_by(Topic.id.desc())).first()
    return made


# Eight batches of four: Markdown fields get the batch as paragraphs, one-line fields as one
# line (short fields keep the first payloads). One world per payload took ~15 minutes.
BATCHES = [XSS_PAYLOADS[i::8] for i in range(8)]


@pytest.mark.slow
@pytest.mark.parametrize("batch", BATCHES, ids=[f"batch{i}" for i in range(8)])
def test_payloads_never_become_executable_markup(app, client, world, clock, batch):
    payload, line = "\n\n".join(batch), " ".join(batch)
    made = plant(client, world, clock, payload, line)
    statuses = made["statuses"]
    # The probe reached the database: the main fields were accepted, not just refused.
    refused = {
        name: statuses[name]
        for name in ("topic", "reply", "feedback", "article", "download")
        if statuses[name] not in (302, 303)
    }
    assert not refused
    assert all(code < 500 for code in statuses.values()), statuses
    pages = Pages(client)
    article, topic = made["article"], made["topic"]
    public = [
        "/",
        f"/a/{article.slug}",
        f"/a/{world.article.slug}",
        f"/c/{world.category.slug}",
        "/forum/",
        f"/forum/t/{world.topic.id}",
        f"/forum/t/{topic.id}",
        "/downloads/",
        "/search?q=" + line,
        "/search?q=退货",
        "/search?q=" + line[:12],
        "/forum/ask/?title=" + line,
    ]
    for url in public:
        pages.check(url)
    # An ask token works only for the visitor who started it: start one as this visitor.
    assert client.get("/forum/ask/").status_code == 200
    token = db.session.scalars(select(AskSession.token).order_by(AskSession.id.desc())).first()
    suggest = client.get("/forum/ask/suggest", query_string={"token": token, "q": "退货 " + line})
    for item in suggest.get_json()["suggestions"]:  # ask.js puts these in as HTML
        pages.check("ask suggest", item.get("snippet", "") + item.get("title_html", ""))

    client.login(world.owner)
    for url in ["/me/", "/notifications", "/account", f"/forum/t/{world.topic.id}"]:
        pages.check(url)
    for markdown in [payload, *batch]:  # one by one too: nothing masks anything here
        preview = client.post_json("/forum/preview", {"markdown": markdown}).get_json()
        pages.check("forum preview", preview["html"])
    client.logout()

    client.login(world.expert)
    pages.check("/experts/queue")
    client.logout()

    client.login(world.editor)
    for url in [
        "/editor/",
        f"/editor/articles/{article.id}/edit",
        f"/editor/articles/{article.id}/revisions",
        "/editor/categories",
        "/editor/tags",
        "/editor/search-tuning",
        "/forum/flags",
        "/downloads/manage/",
        "/experts/queues",
        "/insights/",
        "/insights/gaps",
        "/insights/articles",
        f"/insights/articles/{world.article.id}",
        "/editor/?q=" + line[:50],
    ]:
        pages.check(url)
    for markdown in [payload, *batch]:
        preview = client.post_json("/editor/preview", {"markdown": markdown}).get_json()
        pages.check("editor preview", preview["html"])
    client.logout()

    client.login(world.admin)
    for url in [
        "/admin/users",
        "/admin/users?q=" + line[:50],
        "/admin/outbox",
        f"/experts/profile/{world.expert.id}",
    ]:
        pages.check(url)
    assert pages.count >= 35
    assert not pages.problems


def test_checker_finds_what_it_looks_for():
    """The HTML checker itself: each kind of executable markup is reported."""
    for html in [
        "<script>x</script>",
        '<img src=x onerror="a()">',
        '<a href=" javascript:x">',
        "<iframe></iframe>",
        '<a href="data:text/html,x">',
        "tpl49tpl",
        '<div style="width:expression(1)">',
        "<object></object>",
        "<style>a{background:url(javascript:x)}</style>",
    ]:
        assert executable_markup(html), html
    assert not executable_markup(
        '<script src="/static/js/a.js"></script><p>&lt;b&gt;</p>'
        "<svg><style>.a{fill:url(#clip1)}</style></svg>"
    )

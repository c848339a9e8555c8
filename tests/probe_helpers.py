"""Shared data for the security probes: the write-route inventory, payload corpora, a world
with one of every object, a database snapshot and an HTML checker for executable markup.

Every write route of the app must have an entry in WRITE_ROUTES (test_probe_csrf checks), so
a new route without probes fails the suite until someone says who may call it."""

import io
import re
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser

from sqlalchemy import inspect, text

from portal.experts.profiles import profile_for, update_profile
from portal.experts.router import assign_to
from portal.extensions import db
from portal.forum import services as forum
from portal.forum.moderation import flag_post
from portal.models import Product
from portal.search_tuning.blocked import block_suggestion
from portal.search_tuning.services import add_word, save_group
from tests.conftest import portal_app

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
PDF = b"%PDF-1.7\n" + b"x" * 200


def write_rules(app) -> dict[str, str]:
    """{rule: endpoint} of every URL rule that accepts a state-changing method."""
    return {
        rule.rule: rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.methods & WRITE_METHODS
    }


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
        update_profile(
            profile_for(user),
            category_ids=[category.id],
            tags=[],
            keywords="",
            on_duty=False,
            max_open=5,
        )
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


# -- who may call each write route, with a valid form ----------------------------------------


@dataclass(frozen=True)
class WriteProbe:
    """``role``: who may call it ("anon" = anyone, "user" = any logged-in user, else a role).
    ``owner``: World attribute of the only user allowed (object-level routes).
    ``form``: valid data, so that a missing permission check would let the write through."""

    role: str
    owner: str | None = None
    form: Callable[[World], dict] = lambda w: {}
    multipart: bool = False


def _article_form(w: World) -> dict:
    return {
        "title": "新标题",
        "slug": w.article.slug,
        "summary": "",
        "category_id": "",
        "language": "zh-CN",
        "status": "published",
        "tags": "",
        "body_md": "改过的正文",
        "note": "",
        "base_revision": "",
    }


def _new_article_form(w: World) -> dict:
    return dict(_article_form(w), slug="probe-new-article", translation_of="")


WRITE_ROUTES: dict[str, WriteProbe] = {
    # accounts
    "/login": WriteProbe(
        "anon", form=lambda w: {"email": w.owner.email, "password": "password123"}
    ),
    "/logout": WriteProbe("anon"),  # logging out nobody is harmless
    "/register": WriteProbe(
        "anon",
        form=lambda w: {
            "email": "new@example.com",
            "display_name": "n",
            "password": "password123",
            "confirm": "password123",
        },
    ),
    "/account": WriteProbe("user", form=lambda w: {"display_name": "改名", "locale": "en"}),
    "/account/password": WriteProbe(
        "user",
        form=lambda w: {"current": "password123", "new": "password456", "confirm": "password456"},
    ),
    "/lang/<code>": WriteProbe("anon"),
    "/forgot": WriteProbe("anon", form=lambda w: {"email": w.owner.email}),
    "/reset/<token>": WriteProbe(
        "anon", form=lambda w: {"new": "password456", "confirm": "password456"}
    ),
    "/a/<slug>/feedback": WriteProbe(
        "anon", form=lambda w: {"helpful": "no", "reason": "other", "comment": "x"}
    ),
    "/a/<slug>/follow": WriteProbe("user"),
    # admin
    "/admin/users/<int:user_id>/role": WriteProbe("admin", form=lambda w: {"role": "editor"}),
    "/admin/users/<int:user_id>/active": WriteProbe("admin", form=lambda w: {"active": "0"}),
    "/admin/users/<int:user_id>/unlock": WriteProbe("admin"),
    # downloads
    "/downloads/manage/<int:file_id>/delete": WriteProbe("editor"),
    "/downloads/manage/<int:file_id>/edit": WriteProbe(
        "editor", form=lambda w: dict(upload_form(w, title="改名"), file=None)
    ),
    "/downloads/manage/products": WriteProbe(
        "editor",
        form=lambda w: {"name": "新产品", "name_en": "", "slug": "probe-product", "position": "0"},
    ),
    "/downloads/manage/upload": WriteProbe("editor", form=upload_form, multipart=True),
    # editor
    "/editor/articles/<int:article_id>/edit": WriteProbe("editor", form=_article_form),
    "/editor/articles/<int:article_id>/review-settings": WriteProbe(
        "editor", form=lambda w: {"owner_id": "", "review_by": "2027-01-01"}
    ),
    "/editor/articles/<int:article_id>/reviewed": WriteProbe("editor"),
    "/editor/articles/<int:article_id>/revisions/<int:number>/restore": WriteProbe("editor"),
    "/editor/articles/<int:article_id>/status": WriteProbe(
        "editor", form=lambda w: {"status": "archived"}
    ),
    "/editor/articles/new": WriteProbe("editor", form=_new_article_form),
    "/editor/categories": WriteProbe(
        "editor",
        form=lambda w: {
            "name": "新类",
            "name_en": "",
            "slug": "probe-cat",
            "parent_id": "",
            "description": "",
            "description_en": "",
            "position": "0",
        },
    ),
    "/editor/categories/<int:category_id>": WriteProbe(
        "editor",
        form=lambda w: {
            "name": "改名",
            "name_en": "",
            "slug": w.spare_category.slug,
            "parent_id": "",
            "description": "",
            "description_en": "",
            "position": "0",
        },
    ),
    "/editor/categories/<int:category_id>/delete": WriteProbe("editor"),
    "/editor/images": WriteProbe(
        "editor",
        form=lambda w: {"image": (io.BytesIO(b"GIF89a" + bytes(32)), "probe.gif")},
        multipart=True,
    ),
    "/editor/preview": WriteProbe("editor", form=lambda w: {"markdown": "# hi"}),
    "/editor/tags/<int:tag_id>/delete": WriteProbe("editor"),
    "/editor/tags/<int:tag_id>/rename": WriteProbe("editor", form=lambda w: {"name": "换货"}),
    "/editor/search-tuning/groups": WriteProbe("editor", form=lambda w: {"terms": "手机, 电话"}),
    "/editor/search-tuning/groups/<int:group_id>": WriteProbe(
        "editor", form=lambda w: {"terms": "运费, 快递费"}
    ),
    "/editor/search-tuning/groups/<int:group_id>/delete": WriteProbe("editor"),
    "/editor/search-tuning/words": WriteProbe("editor", form=lambda w: {"word": "青禾云"}),
    "/editor/search-tuning/words/<int:word_id>/delete": WriteProbe("editor"),
    "/editor/search-tuning/suggestions/block": WriteProbe(
        "editor", form=lambda w: {"query": "退货运费"}
    ),
    "/editor/search-tuning/suggestions/<int:blocked_id>/delete": WriteProbe("editor"),
    # experts
    "/experts/assignments/<int:assignment_id>/decline": WriteProbe(
        "expert", owner="expert", form=lambda w: {"reason": "not mine"}
    ),
    "/experts/profile": WriteProbe(
        "expert",
        form=lambda w: {
            "categories": [],
            "tags": "",
            "keywords": "kw",
            "on_duty": "y",
            "max_open": "3",
        },
    ),
    "/experts/profile/<int:user_id>": WriteProbe(
        "admin",
        form=lambda w: {
            "categories": [],
            "tags": "",
            "keywords": "kw",
            "on_duty": "y",
            "max_open": "3",
        },
    ),
    "/experts/topics/<int:topic_id>/reassign": WriteProbe(
        "editor", form=lambda w: {"expert_id": str(w.other_expert.id)}
    ),
    # forum: everyone logged in
    "/forum/new": WriteProbe(
        "user",
        form=lambda w: {
            "title": "新问题",
            "kind": "question",
            "category_id": "",
            "tags": "",
            "body_md": "正文",
        },
    ),
    "/forum/t/<int:topic_id>/reply": WriteProbe("user", form=lambda w: {"body_md": "回复"}),
    "/forum/t/<int:topic_id>/watch": WriteProbe("user"),
    "/forum/c/<slug>/watch": WriteProbe("user"),
    "/forum/p/<int:post_id>/vote": WriteProbe("user"),
    "/forum/p/<int:post_id>/flag": WriteProbe("user", form=lambda w: {"reason": "spam"}),
    "/forum/preview": WriteProbe("user"),
    "/forum/ask/": WriteProbe(
        "user",
        form=lambda w: {
            "token": "",
            "title": "新问题",
            "kind": "question",
            "category_id": "",
            "tags": "",
            "body_md": "正文",
        },
    ),
    "/notifications/read": WriteProbe("user"),
    # forum: the author (edit/delete the reply of ``other``) or the asker (accept)
    "/forum/p/<int:post_id>/edit": WriteProbe(
        "user", owner="other", form=lambda w: {"title": "", "body_md": "改过的回复"}
    ),
    "/forum/p/<int:post_id>/delete": WriteProbe("user", owner="other"),
    "/forum/p/<int:post_id>/accept": WriteProbe("user", owner="owner"),
    # forum moderation
    "/forum/flags/<int:flag_id>/resolve": WriteProbe("editor", form=lambda w: {"action": "hide"}),
    "/forum/p/<int:post_id>/hide": WriteProbe("editor"),
    "/forum/p/<int:post_id>/unhide": WriteProbe("editor"),
    "/forum/t/<int:topic_id>/hide": WriteProbe("editor"),
    "/forum/t/<int:topic_id>/unhide": WriteProbe("editor"),
    "/forum/t/<int:topic_id>/lock": WriteProbe("editor"),
    "/forum/t/<int:topic_id>/unlock": WriteProbe("editor"),
    "/forum/t/<int:topic_id>/move": WriteProbe(
        "editor", form=lambda w: {"category_id": str(w.spare_category.id)}
    ),
    "/forum/t/<int:topic_id>/to-article": WriteProbe("editor"),
    "/forum/u/<int:user_id>/ban": WriteProbe("editor"),
    "/forum/u/<int:user_id>/unban": WriteProbe("editor"),
    # insights
    "/insights/gaps/draft": WriteProbe("editor", form=lambda w: {"key": "退货+运费"}),
    "/insights/gaps/handled": WriteProbe("editor", form=lambda w: {"key": "退货+运费"}),
}

_CONVERTER_RE = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")


def fill(rule: str, values: dict) -> str:
    """The URL of ``rule`` with its converters replaced by ``values``."""
    return _CONVERTER_RE.sub(lambda m: str(values[m.group(1)]), rule)


def actor_for(probe: WriteProbe, world: World):
    """A user who may call the route (None for anonymous routes)."""
    if probe.owner:
        return getattr(world, probe.owner)
    return {
        "anon": None,
        "user": world.owner,
        "expert": world.expert,
        "editor": world.editor,
        "admin": world.admin,
    }[probe.role]


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


# -- payload corpora -------------------------------------------------------------------------

TEMPLATE_MARK = "tpl{{7*7}}tpl"
XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x]( javascript:alert(1) )",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![i](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="java\tscript:alert(1)">x</a>',
    '<iframe src="https://evil.example"></iframe>',
    '<object data="x.swf"></object><embed src="x.swf">',
    '<div style="width:expression(alert(1))">x</div>',
    "<style>body{background:url(javascript:alert(1))}</style>",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    '" onmouseover="alert(1)',
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e",
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<b><i><u onclick=alert(1)>x</u></i></b>",
    TEMPLATE_MARK,
    "{% raw %}{{ config }}{% endraw %}",
    "退货<script>alert('运费')</script>说明",
    "<details open ontoggle=alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<form action="javascript:alert(1)"><button>x</button></form>',
    '<base href="https://evil.example/">',
]

SQLI_PAYLOADS = [
    "' OR 1=1 --",
    '"; DROP TABLE users; --',
    "1 UNION SELECT name, sql FROM sqlite_master --",
    "%' --",
    "1'); DELETE FROM articles; --",
    "\x00",
    "a\x00b",
    "x" * 5000,
    "'",
    '"',
    "%",
    "_",
    "\\",
    "1 OR 1=1",
    "-1",
    "99999999999999999999999",
    "NEAR(a b)",
    "title:x*",
    "a AND OR NOT",
    '"unterminated',
    "(((",
    "^*",
    "{col}: x",
]

SQL_ERROR_MARKERS = (
    "sqlite3.",
    "OperationalError",
    "syntax error",
    "sqlalchemy",
    "Traceback",
    "fts5:",
    "no such column",
    "unrecognized token",
)

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


# -- executable markup -----------------------------------------------------------------------

_DANGEROUS_TAGS = {
    "iframe",
    "object",
    "embed",
    "base",
    "frame",
    "frameset",
    "applet",
    "meta",
    "form",
}
# url(#id) is how our SVG charts refer to their own clip paths; any other url() is not ours.
_BAD_CSS_RE = re.compile(r"expression\(|javascript:|url\((?!#)|@import")
_C0_AND_SPACE = "".join(map(chr, range(33)))
_URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "data", "poster"}


class _Checker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.in_style = False

    def handle_endtag(self, tag):
        if tag == "style":
            self.in_style = False

    def handle_data(self, data):
        compact = re.sub(r"\s", "", data).lower()
        if self.in_style and _BAD_CSS_RE.search(compact):
            self.problems.append(f"<style>{data[:60]!r}")

    def handle_starttag(self, tag, attrs):
        attrs = [(name.lower(), value or "") for name, value in attrs]
        if tag == "script":
            src = dict(attrs).get("src", "")
            if not src.startswith("/static/"):
                self.problems.append(f"<script src={src!r}>")
        self.in_style = tag == "style"
        if tag in _DANGEROUS_TAGS and not (tag == "form" and _same_site_form(attrs)):
            self.problems.append(f"<{tag}>")
        if tag == "meta" and ("http-equiv", "refresh") not in attrs:
            self.problems.pop()  # plain <meta> in <head> is fine
        for name, value in attrs:
            # As a browser reads a URL: C0 controls and spaces trimmed, tab/CR/LF removed
            # anywhere ("java\tscript:" runs, "java   script:" is a harmless relative path).
            compact = re.sub(r"[\t\r\n]", "", value.strip(_C0_AND_SPACE)).lower()
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            elif name in _URL_ATTRS and compact.startswith(
                ("javascript:", "vbscript:", "data:text/html")
            ):
                self.problems.append(f"<{tag} {name}={value!r}>")
            elif name == "style" and _BAD_CSS_RE.search(compact):
                self.problems.append(f"<{tag} style={value!r}>")


def _same_site_form(attrs) -> bool:
    action = dict(attrs).get("action", "")
    return not re.sub(r"\s", "", action).lower().startswith(("javascript:", "data:"))


def executable_markup(html: str) -> list[str]:
    """What in ``html`` could run script: empty when the page is safe."""
    checker = _Checker()
    checker.feed(html)
    checker.close()
    problems = checker.problems
    if TEMPLATE_MARK.replace("{{7*7}}", "49") in html:
        problems.append("template expression evaluated")
    return problems

"""Who may call each write route of the app, with a valid form, for the security probes.

Every write route of the app must have an entry in WRITE_ROUTES (test_probe_csrf checks), so
a new route without probes fails the suite until someone says who may call it."""

import io
import re
from collections.abc import Callable
from dataclasses import dataclass

from tests.probe_world import World, upload_form

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def write_rules(app) -> dict[str, str]:
    """{rule: endpoint} of every URL rule that accepts a state-changing method."""
    return {
        rule.rule: rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.methods & WRITE_METHODS
    }


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

"""Every user-visible string goes through the catalogs: every page a role can open, rendered
in Chinese, shows none of the English UI texts of the catalog nor raw status and role
values (content the users wrote is left out of the check)."""

import html
import re

import pytest

from tests import ROOT
from tests.probe_world import build_world
from tests.probe_write_routes import fill

CATALOG = ROOT / "portal/translations/zh_Hans_CN/LC_MESSAGES/messages.po"
# Stored values that must be shown through the catalog, never as they are stored.
RAW_VALUES = ("draft", "published", "archived", "customer", "expert", "editor", "admin")
SKIP = {
    "/static/<path:filename>",
    "/robots.txt",
    "/sitemap.xml",
    "/healthz",
    "/api/v1/search",
    "/search/autocomplete",
    "/forum/ask/suggest",
    "/editor/slug",
    "/downloads/<int:file_id>/<name>",
    "/images/<name>",
    "/search/click/<int:search_id>",
    "/forum/ask/open/<token>",
    "/logout",
    # The audit log shows stored values as they were saved, on purpose.
    "/admin/audit",
}
_TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.S | re.I)


def english_ui_texts() -> list[str]:
    """The catalog's English msgids of two words or more (single words are too common in
    product names and content to test for)."""
    ids = re.findall(r'^msgid "(.+)"$', CATALOG.read_text(encoding="utf-8"), re.M)
    texts = []
    for msgid in ids:
        plain = re.sub(r"%\(\w+\)[sd]|%[sd]|[“”\"]", " ", msgid.replace("\\n", " "))
        for piece in re.split(r"\s{2,}|[.:;!?…·()]", plain):
            piece = piece.strip(" ,")
            if len(piece.split()) >= 2 and re.fullmatch(r"[A-Za-z][A-Za-z ,'/-]+", piece):
                texts.append(piece)
    return sorted(set(texts), key=len, reverse=True)


def visible_text(page: str) -> str:
    return html.unescape(_TAGS.sub(" ", page))


@pytest.fixture
def world(app, make, client):
    return build_world(app, make, client)


def test_chinese_pages_show_no_untranslated_ui_text(app, client, world):
    texts = english_ui_texts()
    assert len(texts) > 200
    raw = re.compile(r"(?<![\w/.-])(" + "|".join(RAW_VALUES) + r")(?![\w/.-])")
    values = dict(
        world.ids(), search_id=1, user_id=world.expert.id, name="x", slug=world.article.slug
    )
    leaks = []
    for role in (world.owner, world.expert, world.admin):
        client.login(role)
        for rule in sorted({r.rule for r in app.url_map.iter_rules() if "GET" in r.methods} - SKIP):
            url = fill(rule, values | ({"slug": world.category.slug} if "/c/" in rule else {}))
            response = client.get(url)
            if response.status_code != 200 or "html" not in response.content_type:
                continue
            text = visible_text(response.get_data(as_text=True))
            for english in texts:
                if english in text:
                    leaks.append(f"{url} ({role.role}): {english!r}")
            for found in set(raw.findall(text)):
                leaks.append(f"{url} ({role.role}): raw value {found!r}")
        client.logout()
    assert not leaks, "\n".join(sorted(set(leaks)))


def test_durations_are_translated(app):
    from datetime import timedelta

    from flask_babel import force_locale

    from portal.template_helpers import duration

    with app.test_request_context():
        assert duration(timedelta(minutes=125)) == "2 小时 5 分钟"
        assert duration(timedelta(days=2, hours=3)) == "2 天 3 小时"
        with force_locale("en"):
            assert duration(timedelta(minutes=45)) == "45 min"

"""Security headers and the Content-Security-Policy on every kind of response, no inline script
or style in rendered pages, HTTPS-only cookies when configured, and CSRF on every POST."""

import io
import re

import pytest
from flask import request
from sqlalchemy import func, select

from portal.config import build_config
from portal.extensions import csrf, db
from portal.forum.services import create_topic, reply
from portal.models import PostVote, Product
from portal.security.headers import content_security_policy
from tests.portal.test_rate_limits import build_app  # noqa: F401 (a fixture)

FIXED_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
STRICT = content_security_policy("kb.home")


def assert_secure_headers(response, csp=STRICT):
    for name, value in FIXED_HEADERS.items():
        assert response.headers.get(name) == value, name
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert response.headers["Content-Security-Policy"] == csp


def test_the_policy_allows_no_inline_script_and_no_framing():
    directives = dict(part.split(" ", 1) for part in STRICT.split("; "))
    assert directives["script-src"] == "'self'"
    assert "'unsafe-inline'" not in STRICT and "'unsafe-eval'" not in STRICT
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert directives["default-src"] == "'self'" and directives["img-src"] == "'self' data:"


@pytest.mark.parametrize(
    "url, status, kind",
    [
        ("/", 200, "text/html"),
        ("/api/v1/search?q=发票", 200, "application/json"),
        ("/no-such-page", 404, "text/html"),
        ("/api/v1/no-such-thing", 404, "application/json"),
        ("/static/css/portal.css", 200, "text/css"),
    ],
)
def test_every_kind_of_response_carries_the_headers(client, make, url, status, kind):
    make.article(title="发票抬头怎么改")
    response = client.get(url)
    assert response.status_code == status and response.mimetype == kind
    assert_secure_headers(response)
    assert "Strict-Transport-Security" not in response.headers  # plain http by default


def test_error_page_for_a_refused_form_carries_the_headers(client):
    response = client.post("/login", {"email": "a@example.com"}, csrf=False)
    assert response.status_code == 400
    assert_secure_headers(response)


def test_a_download_keeps_its_own_sandbox_policy(client, make):
    product = Product(slug="notes", name="笔记")
    db.session.add(product)
    db.session.commit()
    client.login(make.user("editor"))
    data = {
        "product_id": str(product.id),
        "title": "Manual",
        "version": "1.0",
        "visibility": "public",
        "article_id": "",
        "release_notes_md": "",
        "file": (io.BytesIO(b"%PDF-1.7\n" + b"x" * 100), "manual.pdf"),
    }
    assert (
        client.post(
            "/downloads/manage/upload", data, content_type="multipart/form-data"
        ).status_code
        == 302
    )
    page = client.get("/downloads/").get_data(as_text=True)
    url = re.search(r'href="(/downloads/\d+/manual\.pdf)"', page).group(1)
    response = client.get(url)
    assert response.status_code == 200
    assert_secure_headers(response, csp="default-src 'none'; sandbox")


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.I)
INLINE_STYLE = re.compile(r"\sstyle\s*=|<style[\s>]", re.I)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def assert_no_inline_code(html: str, url: str):
    assert not INLINE_SCRIPT.search(html), url
    assert not INLINE_STYLE.search(html), url
    assert not EVENT_HANDLER.search(html), url


def test_rendered_pages_have_no_inline_script_style_or_handlers(client, make):
    parent = make.category("shop", "购物")
    child = make.category("returns", "退货", parent=parent)
    make.category("deep", "深层", parent=child)
    article = make.article(
        title="退货政策", body="| a | b |\n|:-:|--:|\n| 1 | 2 |", category=child, tags=["退货"]
    )
    asker, helper = make.user(), make.user()
    topic = create_topic(asker, title="退货运费谁承担？", body_md="想退货，运费怎么算？")
    reply(topic, helper, "七天内免费退货。")
    public = [
        "/",
        f"/a/{article.slug}",
        "/c/returns",
        "/tag/退货",
        "/search?q=退货",
        "/search?q=zzzzqqq",
        "/login",
        "/register",
        "/forum/",
        f"/forum/t/{topic.id}",
        "/forum/ask/",
        "/forum/ask/?title=怎么退货",
        "/downloads/",
        "/no-such-page",
    ]
    staff = [
        "/editor/",
        "/editor/categories",
        "/editor/tags",
        "/editor/articles/new",
        "/insights/gaps",
        "/insights/articles",
        "/admin/users",
        "/forum/new",
        "/me/",
        "/notifications",
    ]
    for url in public:
        response = client.get(url)
        assert response.status_code in (200, 404), url
        html = response.get_data(as_text=True)
        # Aligned table cells keep their style="text-align:…", allowed by hash in the policy.
        assert_no_inline_code(re.sub(r' style="text-align:(left|center|right)"', "", html), url)
    client.login(make.user("admin"))
    for url in staff:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_inline_code(response.get_data(as_text=True), url)
    categories = client.get("/editor/categories").get_data(as_text=True)
    assert 'class="depth-0"' in categories and 'class="depth-2"' in categories


def test_the_chart_page_needs_no_inline_style(client, make):
    """The charts are styled by classes: even the page that draws them allows no inline
    style or script, and its SVG carries no style attribute."""
    client.login(make.user("admin"))
    for url in ("/insights/", "/insights/gaps"):
        response = client.get(url)
        assert response.status_code == 200
        assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"], url
        assert "style=" not in response.get_data(as_text=True), url
    assert "<svg" in client.get("/insights/").get_data(as_text=True)


def test_cookies_are_http_only_and_lax_and_not_secure_by_default(client, make):
    response = client.post(
        "/login", {"email": make.user().email, "password": "password123", "remember": "y"}
    )
    cookies = response.headers.getlist("Set-Cookie")
    assert {c.split("=")[0] for c in cookies} >= {"session", "remember_token"}
    for cookie in cookies:
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_secure_cookies_and_hsts_when_configured(app, client, make, monkeypatch):
    monkeypatch.setenv("PORTAL_SECURE_COOKIES", "1")
    config = build_config({"DATA_DIR": app.config["DATA_DIR"], "SECRET_KEY": "x"})
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]
    app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    response = client.post(
        "/login", {"email": make.user().email, "password": "password123", "remember": "y"}
    )
    cookies = response.headers.getlist("Set-Cookie")
    assert len(cookies) == 2 and all("Secure" in c and "HttpOnly" in c for c in cookies)
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


@pytest.mark.parametrize("proxies, scheme", [(0, "http"), (1, "https")])
def test_proxy_fix_trusts_forwarded_proto_only_when_configured(build_app, proxies, scheme):  # noqa: F811 (the fixture imported above)
    app = build_app(PROXY_FIX=proxies)
    app.add_url_rule("/_scheme", "scheme_probe", lambda: request.scheme)
    with app.app_context():
        response = app.test_client().get("/_scheme", headers={"X-Forwarded-Proto": "https"})
    assert response.get_data(as_text=True) == scheme


# -- CSRF -----------------------------------------------------------------------------------


def test_a_json_vote_without_the_csrf_header_is_refused_and_changes_nothing(client, make):
    topic = create_topic(make.user(), title="退货运费谁承担？", body_md="想退货，运费怎么算？")
    answer = reply(topic, make.user(), "七天内免费退货。")
    client.login(make.user())
    votes = select(func.count()).select_from(PostVote)
    response = client.post_json(f"/forum/p/{answer.id}/vote", {}, csrf=False)
    assert response.status_code == 400 and "error" in response.get_json()
    assert db.session.scalar(votes) == 0
    # The same call with the header (what the page's JavaScript sends) is accepted.
    assert client.post_json(f"/forum/p/{answer.id}/vote", {}).status_code == 302
    assert db.session.scalar(votes) == 1


def test_json_preview_needs_the_csrf_header(client, make):
    client.login(make.user())
    refused = client.post_json("/forum/preview", {"markdown": "**hi**"}, csrf=False)
    assert refused.status_code == 400 and "html" not in refused.get_json()
    accepted = client.post_json("/forum/preview", {"markdown": "**hi**"})
    assert accepted.status_code == 200 and "<strong>hi</strong>" in accepted.get_json()["html"]


def test_every_post_route_checks_csrf_and_the_exempt_api_only_reads(app, client, make):
    client.login(make.user("admin"))
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule  # csrf-exempt blueprint
        if "POST" not in rule.methods:
            continue
        url = rule.build({arg: 1 for arg in rule.arguments})[1]
        response = client.post_json(url, {}, csrf=False)
        assert response.status_code == 400, (rule.rule, response.status_code)
    assert not csrf._exempt_views

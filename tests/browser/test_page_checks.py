"""Browser checks across every page (headless Chromium against a live portal, fixtures in
conftest.py): the problem watch the other scenarios rely on, and no page wider than a phone."""

import pytest
from playwright.sync_api import expect

from tests.browser_support import (
    PageProblems,
    log_in,
    new_context,
    screenshot,
)

# The front end (scripts, styles, headers, layout) is the same on either database, and the
# server side of each scenario is in tests/portal/, which the PostgreSQL pass runs: once.
pytestmark = pytest.mark.any_database


def test_problem_watch_catches_csp_violations_and_script_errors(browser, server):
    """The guard every test above relies on: a blocked inline script (CSP) and an uncaught
    exception are both reported."""
    problems = PageProblems()
    context = new_context(browser, server)
    context.on("page", problems.watch)
    page = context.new_page()
    page.route(
        "**/csp-probe",
        lambda route: route.fulfill(
            content_type="text/html",
            headers={"Content-Security-Policy": "script-src 'self'"},
            body="<!doctype html><p>probe</p><script>document.title = 'ran';</script>",
        ),
    )
    with page.expect_console_message(lambda message: message.type == "error"):
        page.goto("/csp-probe")
    with page.expect_event("pageerror"):
        page.evaluate("setTimeout(() => { throw new Error('probe failure'); })")
    context.close()
    assert any("Content Security Policy" in p for p in problems.found), problems.found
    assert any("probe failure" in p for p in problems.found), problems.found


# Every page type, by the role that sees it: at 375 px (a phone) none may scroll sideways.
PHONE_PAGES = {
    None: [
        "/",
        "/search?q=退货",
        "/search?q=安装",
        "/a/install-on-windows",
        "/a/refund-timeline",
        "/a/error-codes",
        "/a/system-requirements",
        "/c/returns",
        "/forum/",
        "/forum/ask/",
        "/login",
        "/register",
        "/forgot",
        "/downloads/",
    ],
    "customer": ["/me/", "/account", "/notifications", "/forum/new"],
    "expert": ["/experts/queue", "/experts/profile"],
    "editor": [
        "/editor/",
        "/editor/articles/new",
        "/editor/categories",
        "/editor/tags",
        "/editor/localization",
        "/editor/review",
        "/editor/search-tuning",
        "/insights/",
        "/insights/gaps",
        "/insights/articles",
        "/downloads/manage/",
        "/forum/flags",
        "/experts/queues",
    ],
    "admin": ["/admin/users", "/admin/audit", "/admin/outbox"],
}
OVERFLOW_JS = "() => document.documentElement.scrollWidth - window.innerWidth"


def test_no_page_scrolls_sideways_on_a_phone(browser, server, problems):
    """Wide code blocks and tables scroll inside themselves, the header folds into a menu
    button that opens the links, and no page is wider than a 375 px screen."""
    wide = []
    for role, paths in PHONE_PAGES.items():
        context = new_context(browser, server)
        context.on("page", problems.watch)
        page = context.new_page()
        if role:
            log_in(page, role)  # at desktop width: the log-out button it waits for is shown
        page.set_viewport_size({"width": 375, "height": 740})
        for path in paths:
            response = page.goto(path)
            assert response.status < 400, (path, response.status)
            overflow = page.evaluate(OVERFLOW_JS)
            if overflow > 1:
                wide.append(f"{path} ({role or 'anonymous'}): {overflow}px too wide")
        context.close()
    assert not wide, "\n".join(wide)
    context = new_context(browser, server)
    page = context.new_page()
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto("/")
    toggle = page.locator(".menu-toggle")
    expect(toggle).to_be_visible()
    expect(page.locator(".main-nav")).to_be_hidden()
    toggle.click()
    expect(page.locator(".main-nav")).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    screenshot(page, "phone-menu")
    context.close()
    assert not problems.found, "\n".join(problems.found)

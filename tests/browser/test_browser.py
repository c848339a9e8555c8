"""End-to-end scenarios in a real browser (headless Chromium) against a live portal: real pages,
real typing and clicks, our JavaScript running under the page's own headers.

Every test fails on a console error (CSP violations are reported there), an uncaught script
error or a server error on any page it opened. Screenshots land in tests/artifacts/."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import select

from portal.auth.services import find_user
from portal.experts.profiles import profile_for, update_profile
from portal.experts.sweep import sweep
from portal.extensions import db
from portal.forum.services import create_topic
from portal.insights.rollup import roll_up
from portal.models import Article, ArticleFeedback, AskSession, Assignment, Category, Topic
from tests.browser_support import (
    ACCOUNTS,
    CHROMIUM,
    WAIT_MS,
    PageProblems,
    launch_chromium,
    log_in,
    new_context,
    result_keys,
    screenshot,
    start_live_server,
    type_text,
)

if not CHROMIUM.is_file():
    pytest.skip(
        f"Chromium not found at {CHROMIUM}: browser tests skipped "
        "(apt-get install chromium, or set PORTAL_CHROMIUM)",
        allow_module_level=True,
    )

expect.set_options(timeout=WAIT_MS)

# The front end (scripts, styles, headers, layout) is the same on either database, and the
# server side of each scenario is in tests/portal/, which the PostgreSQL pass runs: once.
pytestmark = pytest.mark.any_database


# The smallest valid PNG: one transparent pixel.
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory, migrated_database):
    """One live portal for the module, on the suite's test database."""
    data_dir = tmp_path_factory.mktemp("live-portal")
    database_url = migrated_database.new(data_dir)
    live = start_live_server(data_dir, database_url)
    yield live
    live.stop()
    migrated_database.drop(database_url)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def problems():
    return PageProblems()


@pytest.fixture
def page(browser, server, problems):
    """A page in a fresh browser context; the test fails on any problem the page reports."""
    context = new_context(browser, server)
    context.on("page", problems.watch)
    yield context.new_page()
    context.close()
    assert not problems.found, "\n".join(problems.found)


def search_from_box(page, box: str, query: str) -> None:
    """Type a query into a search box and press Enter, as a customer does."""
    type_text(page, box, query)
    page.locator(box).press("Enter")
    page.wait_for_url(re.compile(r"/search\?"))
    expect(page.locator("#search-q")).to_have_value(query)


def category_id(server, slug: str) -> int:
    with server.app_context():
        return db.session.scalar(select(Category.id).where(Category.slug == slug))


def test_customer_searches_in_chinese_opens_a_result_and_votes_helpful(page, server):
    """Simplified and traditional queries find the same articles; the vote is recorded."""
    page.goto("/")
    search_from_box(page, "#q", "退货")
    expect(page.locator("ol.results li.result").first).to_be_visible()
    simplified = result_keys(page)

    search_from_box(page, "#search-q", "退貨")
    expect(page.locator("ol.results li.result").first).to_be_visible()
    assert set(result_keys(page)) == set(simplified)  # 退貨 folds onto 退货

    search_from_box(page, "#search-q", "发票")
    first = page.locator("ol.results li.result h2 a").first
    expect(first).to_contain_text("发票")
    title = first.inner_text()
    first.click()
    page.wait_for_url(re.compile(r"/a/[^/?]+\?sid=\d+"))
    expect(page.locator("article h1")).to_have_text(title)
    slug = urlsplit(page.url).path.removeprefix("/a/")

    tally = page.locator("#feedback > p.muted").last
    before = tally.inner_text()
    page.locator("#feedback input[name=helpful][value=yes]").check()
    page.locator("#feedback button[type=submit]").click()
    page.wait_for_url(re.compile(r"#feedback$"))
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("#feedback input[name=helpful][value=yes]")).to_be_checked()
    expect(tally).not_to_have_text(before)
    screenshot(page, "1-article-voted")

    with server.app_context():
        article = db.session.scalar(select(Article).where(Article.slug == slug))
        votes = db.session.scalars(
            select(ArticleFeedback).where(ArticleFeedback.article_id == article.id)
        ).all()
        assert [(v.helpful, v.user_id) for v in votes] == [(True, None)]
        assert votes[0].search_id is not None  # tied to the search that led here
        assert article.helpful_yes == 1


def test_not_helpful_shows_the_reasons_inline_and_keeps_the_one_picked(page, server):
    """With JavaScript, picking "No" shows the reasons in the same form at once."""
    page.goto("/")
    page.locator("ul.article-list a").first.click()
    page.wait_for_url(re.compile(r"/a/[^/?]+"))
    slug = urlsplit(page.url).path.removeprefix("/a/")
    reasons = page.locator("#feedback-reason")
    expect(reasons).to_be_hidden()
    page.locator("#feedback input[name=helpful][value=no]").check()
    expect(reasons).to_be_visible()
    page.locator("#feedback input[name=reason][value=unclear]").check()
    page.locator("#feedback button[type=submit]").click()
    page.wait_for_url(re.compile(r"#feedback$"))
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("#feedback input[name=reason][value=unclear]")).to_be_checked()
    with server.app_context():
        article = db.session.scalar(select(Article).where(Article.slug == slug))
        reasons = db.session.scalars(
            select(ArticleFeedback.reason).where(ArticleFeedback.article_id == article.id)
        ).all()
        assert reasons == ["unclear"]


def test_autocomplete_dropdown_opens_while_typing_and_keys_pick(page):
    """The search box's listbox opens with suggestions; arrow + Enter opens the first,
    under a policy that allows no inline script."""
    response = page.goto("/")
    assert "script-src 'self'" in response.headers.get("content-security-policy", "")
    box = page.locator("#q")
    type_text(page, "#q", "发票")
    listbox = page.locator("#" + box.get_attribute("aria-controls"))
    expect(listbox).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    options = listbox.locator("[role=option]")
    expect(options.first).to_contain_text("发票")
    screenshot(page, "1b-autocomplete-open")

    box.press("Escape")
    expect(listbox).to_be_hidden()
    box.press("ArrowDown")  # reopens the list
    box.press("ArrowDown")  # selects the first option
    expect(options.first).to_have_attribute("aria-selected", "true")
    target = options.first.get_attribute("data-url")
    box.press("Enter")
    page.wait_for_url(lambda url: urlsplit(url).path == urlsplit(target).path)


def test_customer_asks_sees_live_suggestions_then_posts(page, server):
    """Debounced JSON suggestions while typing; step 2 keeps them; posting makes the topic."""
    log_in(page, "customer")
    page.locator("header a[href='/forum/ask/']").click()
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    title = "退货运费谁承担？浏览器里问的"
    with page.expect_response(lambda r: "/forum/ask/suggest" in r.url and r.ok):
        type_text(page, "#ask-title", title)
    suggestions = page.locator("#ask-suggestions")
    expect(suggestions).to_be_visible()
    expect(suggestions.locator("li.ask-suggestion").first).to_be_visible()
    suggest_calls = [url for url in requested if "/forum/ask/suggest" in url]
    assert 1 <= len(suggest_calls) < len(title)  # debounced, not one call per key
    screenshot(page, "2-ask-suggestions")

    page.locator("#ask-title").press("Enter")  # step 2: the full form
    expect(page.locator("#title")).to_have_value(title)
    expect(suggestions.locator("li.ask-suggestion").first).to_be_visible()
    page.select_option("#category_id", str(category_id(server, "returns")))
    page.fill("#tags", "退货, 运费")
    type_text(page, "#body_md", "衣服不合适想退货，运费是我出还是商家出？")
    page.locator("form.ask-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/forum/t/\d+"))
    expect(page.locator("h1")).to_have_text(title)
    screenshot(page, "2-question-posted")

    topic_id = int(urlsplit(page.url).path.rsplit("/", 1)[1])
    with server.app_context():
        topic = db.session.get(Topic, topic_id)
        assert topic.author.email == ACCOUNTS["customer"]
        assert topic.category.slug == "returns"
        ask = db.session.scalar(select(AskSession).where(AskSession.topic_id == topic_id))
        assert ask is not None and ask.user_id == topic.author_id


def test_expert_answers_a_routed_question_from_the_queue(page, server):
    """The router assigns the question; the expert opens it from the queue and answers."""
    title = "退货运费能不能到付？需要专家"
    with server.app_context():
        expert = find_user(ACCOUNTS["expert"])
        returns = db.session.scalar(select(Category).where(Category.slug == "returns"))
        update_profile(
            profile_for(expert),
            category_ids=[returns.id],
            tags=["退货"],
            keywords="运费",
            on_duty=True,
            max_open=5,
        )
        topic = create_topic(
            find_user(ACCOUNTS["customer"]),
            title=title,
            body_md="寄回的运费可以到付吗？",
            category_id=returns.id,
            tags=["退货"],
            wants_expert=True,
        )
        topic_id = topic.id
        sweep()  # what `flask experts sweep` and the background schedule run
        assignment = db.session.scalar(select(Assignment).where(Assignment.topic_id == topic_id))
        assert (assignment.expert_id, assignment.state) == (expert.id, "open")

    log_in(page, "expert")
    page.locator("header a[href='/experts/queue']").click()
    link = page.locator(f"table.data a[href='/forum/t/{topic_id}']")
    expect(link).to_have_text(title)
    screenshot(page, "3-expert-queue")
    link.click()
    page.wait_for_url(re.compile(rf"/forum/t/{topic_id}"))

    answer = "可以到付。**质量问题**的运费由我们承担，七天无理由退货由您承担。"
    type_text(page, "#reply #body_md", answer, delay_ms=10)
    expect(page.locator("#reply-preview strong")).to_have_text("质量问题")  # live preview
    page.locator("#reply button[type=submit]").click()
    expect(page.locator(".replies")).to_contain_text("七天无理由退货由您承担")
    screenshot(page, "3-expert-answered")

    page.locator("header a[href='/experts/queue']").click()
    expect(page.locator(f"table.data a[href='/forum/t/{topic_id}']")).to_have_count(0)
    expect(page.locator(f"ul.article-list a[href='/forum/t/{topic_id}']")).to_be_visible()
    with server.app_context():
        assert db.session.get(Assignment, assignment.id).state == "answered"
        assert db.session.get(Topic, topic_id).routing_state == "answered"


def test_editor_publishes_an_article_that_search_then_finds(page, server):
    """Live preview while writing; a draft is not found; once published it is."""
    title = "手写笔在青禾笔记里没有压感怎么办"
    log_in(page, "editor")
    page.locator("header a[href='/editor/']").click()
    page.locator("nav.subnav a[href='/editor/articles/new']").click()
    page.fill("#title", title)
    page.fill("#slug", "stylus-pressure")
    page.select_option("#category_id", str(category_id(server, "troubleshooting")))
    page.fill("#tags", "手写笔, 压感")
    page.fill("#summary", "手写笔画线粗细不变时的检查步骤。")
    type_text(
        page,
        "#body_md",
        "## 检查步骤\n\n1. **打开**设置里的压感开关\n2. 重新配对手写笔\n",
        delay_ms=10,
    )
    expect(page.locator("#preview h2")).to_contain_text("检查步骤")
    expect(page.locator("#preview strong")).to_have_text("打开")
    screenshot(page, "4-editor-preview")
    page.locator("form[action='/editor/articles/new'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/editor/articles/\d+/edit"))
    edit_url = page.url
    article_key = "article:" + edit_url.rsplit("/", 2)[1]
    expect(page.locator(".title-row .status")).to_have_class(re.compile("status-draft"))

    search_from_box(page, "#header-q", "手写笔压感")
    assert article_key not in result_keys(page)  # a draft is not searchable

    page.goto(edit_url)
    page.locator(".title-row form[action$='/status'] button[type=submit]").click()
    expect(page.locator(".title-row .status")).to_have_class(re.compile("status-published"))

    search_from_box(page, "#header-q", "手写笔压感")
    assert result_keys(page)[0] == article_key
    screenshot(page, "4-search-finds-published")
    page.locator("ol.results li.result h2 a").first.click()
    page.wait_for_url(re.compile(r"/a/stylus-pressure"))
    expect(page.locator("article h1")).to_have_text(title)
    expect(page.locator(".article-body strong")).to_have_text("打开")


def test_editor_links_an_article_found_from_the_link_box(page, server):
    """'Link to an article': words typed find published articles; a pick puts 《title》 at
    the cursor in the Markdown, and the preview refreshes."""
    with server.app_context():
        title = db.session.scalar(
            select(Article.title).where(Article.slug == "return-policy-7-days")
        )
    log_in(page, "editor")
    page.goto("/editor/articles/new")
    type_text(page, "#body_md", "退货规则见", delay_ms=5)
    page.locator("#link-tools summary").click()
    page.fill("#link-search", "七天无理由退货")
    pick = page.locator("#link-results button", has_text=title)
    expect(pick).to_be_visible()
    pick.click()
    expect(page.locator("#body_md")).to_have_value(f"退货规则见《{title}》")
    expect(page.locator("#preview")).to_contain_text(f"《{title}》")


def test_editor_adds_an_image_from_the_file_picker(page, server, tmp_path):
    """'Add an image': the file is uploaded and checked by the server, and its Markdown is
    put at the cursor; the preview shows it."""
    png = tmp_path / "diagram.png"
    png.write_bytes(TINY_PNG)
    log_in(page, "editor")
    page.goto("/editor/articles/new")
    type_text(page, "#body_md", "步骤图：", delay_ms=5)
    page.set_input_files("#image-file", str(png))
    expect(page.locator("#body_md")).to_have_value(
        re.compile(r"步骤图：\n!\[\w*\]\(/images/[0-9a-f]+\)")
    )
    expect(page.locator("#preview img")).to_have_count(1)


def test_admin_insights_page_draws_its_charts(browser, server, page, problems):
    """After customer searches are rolled up, the overview shows both SVG charts and counts
    them; the other insight pages render cleanly too."""
    customer = new_context(browser, server)
    customer.on("page", problems.watch)
    visitor = customer.new_page()
    visitor.goto("/")
    search_from_box(visitor, "#q", "发票抬头")
    search_from_box(visitor, "#search-q", "完全不存在的词语组合")
    customer.close()
    with server.app_context():
        roll_up()  # what the background schedule and `flask insights rollup` run

    log_in(page, "admin")
    page.locator("header a[href='/insights/']").click()
    page.wait_for_url(re.compile(r"/insights/"))
    for chart_id in ("chart-per-day", "chart-by-hour"):
        chart = page.locator(f"#{chart_id} svg.chart-svg")
        expect(chart).to_be_visible()
        box = chart.bounding_box()
        assert box["width"] > 300 and box["height"] > 100, (chart_id, box)
        # Grid lines, axis, the drawn series (a line and points, or bars)
        assert chart.locator("line, polyline, rect, circle").count() > 10
        expect(chart).to_have_attribute("role", "img")
    searches = page.locator("#kpi-searches .kpi-value").inner_text()
    assert int(re.sub(r"\D", "", searches) or 0) >= 2, searches
    screenshot(page, "5-insights-overview")

    for path in ("/insights/gaps", "/insights/articles"):
        page.locator(f"nav.insights-nav a[href^='{path}']").click()
        page.wait_for_url(re.compile(path))
        expect(page.locator("main h1").first).to_be_visible()


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

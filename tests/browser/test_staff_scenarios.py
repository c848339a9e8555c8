"""Browser scenarios of staff (headless Chromium against a live portal, fixtures in
conftest.py): an expert answers from the queue, editors publish, link and add images, the
insights pages draw their charts. Every test fails on a console error, an uncaught script
error or a server error on any page it opened."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.auth.services import find_user
from portal.experts.sweep import sweep
from portal.extensions import db
from portal.forum.services import create_topic
from portal.insights.rollup import roll_up
from portal.models import Article, Assignment, Category, Topic
from tests.browser.page_actions import category_id, search_from_box
from tests.browser_support import (
    ACCOUNTS,
    log_in,
    new_context,
    result_keys,
    screenshot,
    type_text,
)
from tests.factories import Factories

# The front end (scripts, styles, headers, layout) is the same on either database, and the
# server side of each scenario is in tests/portal/, which the PostgreSQL pass runs: once.
pytestmark = pytest.mark.any_database


# The smallest valid PNG: one transparent pixel.
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


def test_expert_answers_a_routed_question_from_the_queue(page, server):
    """The router assigns the question; the expert opens it from the queue and answers."""
    title = "退货运费能不能到付？需要专家"
    with server.app_context():
        expert = find_user(ACCOUNTS["expert"])
        returns = db.session.scalar(select(Category).where(Category.slug == "returns"))
        Factories().expert_profile(expert, [returns], tags=["退货"], keywords="运费")
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

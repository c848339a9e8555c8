"""Browser scenarios of customers (headless Chromium against a live portal, fixtures in
conftest.py): searching in Chinese, voting on an article, autocomplete, asking a question.
Every test fails on a console error, an uncaught script error or a server error on any page
it opened. Screenshots land in tests/artifacts/."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.extensions import db
from portal.models import Article, ArticleFeedback, AskSession, Topic
from tests.browser.page_actions import category_id, search_from_box
from tests.browser_support import (
    ACCOUNTS,
    log_in,
    result_keys,
    screenshot,
    type_text,
)

# The front end (scripts, styles, headers, layout) is the same on either database, and the
# server side of each scenario is in tests/portal/, which the PostgreSQL pass runs: once.
pytestmark = pytest.mark.any_database


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

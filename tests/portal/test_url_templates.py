"""The links built from a per-app prefix are the ones url_for builds, under a script root
too and outside a request."""

import pytest
from flask import url_for

from portal.forum.search_documents import topic_url
from portal.kb.search_documents import article_url
from portal.searching.service import click_url
from portal.url_templates import remembered_url_for
from search.backend import SearchHit

SLUGS = ["refund", "退货-流程", "a b", "a/b", "50%off", "q?x=1&y", "#frag", "ü~'()*!$+,;=:@"]


@pytest.mark.parametrize("script_root", ["", "/help"])
def test_hit_and_click_links_equal_url_for(app, script_root):
    with app.test_request_context("/search", base_url=f"http://localhost{script_root}"):
        for slug in SLUGS:
            assert article_url(1, slug) == url_for("kb.article", slug=slug)
        for topic_id in (1, 42, 2**62):
            assert topic_url(topic_id, "") == url_for("forum.topic", topic_id=topic_id)
        for key, rank in (("article:12", 1), ("forum:7", 10), ("a b&c=d", 3)):
            hit = SearchHit(key, "article", 12, "", "", "", "", 1.0, rank)
            expected = url_for("search.click", search_id=99, key=key, rank=rank)
            assert click_url(99, hit) == expected
    with app.test_request_context("/", base_url="http://localhost/other"):
        assert article_url(1, "refund") == "/other/a/refund"  # the prefix is per script root


def test_outside_a_request_the_links_are_url_for(app):
    app.config["SERVER_NAME"] = "localhost"
    with app.app_context():  # a command building mail links
        assert article_url(1, "退货") == url_for("kb.article", slug="退货")
        assert article_url(1, "退货").startswith("http://localhost/a/")


def test_templates_url_for_remembers_what_url_for_builds(app):
    """The same URL as url_for for each kind of argument, per script root; 1 and True are
    different arguments; what it cannot keep is still built."""
    calls = [
        ("static", {"filename": "css/portal.css"}),
        ("search.results", {"q": "退货 a&b", "page": 2, "type": "article"}),
        ("search.results", {"q": "x", "page": True}),
        ("search.results", {"q": "x", "page": 1}),
        ("search.results", {"q": "x", "tag": ["a", "b"]}),
        ("kb.article", {"slug": "refund", "_anchor": "steps"}),
        ("kb.home", {"_external": True}),
    ]
    for script_root in ("", "/help", ""):
        with app.test_request_context("/", base_url=f"http://localhost{script_root}"):
            for endpoint, values in calls:
                assert remembered_url_for(endpoint, **values) == url_for(endpoint, **values)
    remembered = app.extensions["remembered_urls"]
    assert len(remembered) == 2 * 4  # per root: the static file and three searches

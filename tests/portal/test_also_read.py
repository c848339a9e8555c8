"""'People who read this also read' on the article page: co-readers from page views and
search clicks, the threshold, the order, the 30-day window, bots, unpublished articles."""

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.kb.also_read import also_read_ids
from portal.models import SearchLog
from tests.conftest import Client

BOT = {"User-Agent": "Mozilla/5.0 (compatible; bingbot/2.0)"}
HEADING = "People who read this also read"


@pytest.fixture
def shelf(app, make, clock):
    app.config["ALSO_READ_CACHE_SECONDS"] = 0
    return {
        slug: make.article(title, slug=slug, tags=tags)
        for slug, title, tags in [
            ("a", "如何退货", ["退货"]),
            ("b", "退款多久到账", []),
            ("c", "发票抬头", []),
            ("d", "修改密码", []),
            ("e", "会员等级", []),
            ("f", "退货地址", ["退货"]),
        ]
    }


def reader(app, *slugs, headers=None):
    """A new visitor (own session) who opens these articles."""
    visitor = Client(app)
    for slug in slugs:
        assert visitor.get(f"/a/{slug}", headers=headers).status_code == 200
    return visitor


def also_read_section(page: str) -> str:
    return page.split(HEADING)[1].split("</section>")[0] if HEADING in page else ""


def test_ordered_by_shared_readers_with_at_least_two(app, client, shelf):
    for _ in range(3):
        reader(app, "a", "b")
    reader(app, "a", "c")
    reader(app, "c", "a", "d")
    reader(app, "a", "e")  # e: only one co-reader
    reader(app, "b", "d")  # not a reader of a: does not count for a
    assert also_read_ids(shelf["a"].id) == [shelf["b"].id, shelf["c"].id]
    client.post("/lang/en")
    page = client.get("/a/a").get_data(as_text=True)
    section = also_read_section(page)
    assert section.index("退款多久到账") < section.index("发票抬头")
    assert "会员等级" not in section and "修改密码" not in section and "如何退货" not in section
    # The tag-based related list stays, under its own heading.
    assert "Related articles" in page and "退货地址" in page.split(HEADING)[0]


def test_no_section_without_enough_co_readers(app, client, shelf):
    reader(app, "a", "b")
    client.post("/lang/en")
    assert HEADING not in client.get("/a/a").get_data(as_text=True)


def test_search_clicks_count_as_reading(app, shelf):
    for _ in range(2):
        visitor = reader(app, "a")
        visitor.get("/search?q=发票")
        search = db.session.scalars(select(SearchLog).order_by(SearchLog.id.desc())).first()
        response = visitor.get(f"/search/click/{search.id}?key=article:{shelf['c'].id}&rank=1")
        assert response.status_code == 302
    assert also_read_ids(shelf["a"].id) == [shelf["c"].id]


def test_unpublished_articles_drop_out_at_once(app, client, shelf):
    for _ in range(2):
        reader(app, "a", "b", "c")
    assert also_read_ids(shelf["a"].id) == [shelf["b"].id, shelf["c"].id]
    client.post("/lang/en")
    client.get("/a/a")
    app.config["ALSO_READ_CACHE_SECONDS"] = 300  # cached ids, yet the page re-checks status
    shelf["b"].status = "archived"
    db.session.commit()
    section = also_read_section(client.get("/a/a").get_data(as_text=True))
    assert "退款多久到账" not in section and "发票抬头" in section


def test_only_the_last_30_days_count(app, shelf, clock):
    for _ in range(2):
        reader(app, "a", "b")
    clock.advance(days=31)
    reader(app, "a", "c")
    reader(app, "a", "c")
    assert also_read_ids(shelf["a"].id) == [shelf["c"].id]


def test_visitors_seen_as_bots_are_left_out(app, shelf):
    for _ in range(2):
        crawler = Client(app)
        crawler.get("/search?q=退货", headers=BOT)
        for slug in ("a", "b"):
            crawler.get(f"/a/{slug}", headers=BOT)
    assert also_read_ids(shelf["a"].id) == []
    reader(app, "a", "b")
    reader(app, "a", "b")
    assert also_read_ids(shelf["a"].id) == [shelf["b"].id]


def test_results_are_cached_per_article(app, client, shelf):
    app.config["ALSO_READ_CACHE_SECONDS"] = 300
    assert HEADING not in client.get("/a/a").get_data(as_text=True)
    reader(app, "a", "b")
    reader(app, "a", "b")
    client.post("/lang/en")
    assert HEADING not in client.get("/a/a").get_data(as_text=True)  # still the cached list
    app.config["ALSO_READ_CACHE_SECONDS"] = 0
    assert HEADING in client.get("/a/a").get_data(as_text=True)

"""Autocomplete poisoning probes: a popular-query suggestion is shown to everybody, so it
must take SUGGESTION_MIN_SEARCHERS different visitors (not cookies), never carry contact
details, and editors must be able to take one down."""

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEntry
from portal.searching.pii import mask_pii
from portal.searching.spelling import MASK_MARK, successful_queries
from portal.searching.suggestable import has_contact_details
from search.analyzer import normalize_query

REPORTED = "退货 客服微信 qhkf888 领取补偿"
CONTACT_QUERIES = [
    REPORTED,
    "退货客服微信qhkf888领取补偿",
    "退货 加我 vx abc12 返现",
    "退货 qq 1234567 退款",
    "退货 联系 13812345678",
    "退货 订单 20240101123",
    "退货 详情 www.evil.example",
    "退货 补偿 evil.cn",
    "退货 看 https://t.me/refund",
    "退货 写信 refund@evil.example",
    "退货 wx:kf2024abc",
]
CLEAN_QUERIES = ["退货运费", "微信支付 退货", "win10 退货", "iphone15 退货", "退货 x64 安装包"]


@pytest.fixture
def corpus(app, make):
    app.config["AUTOCOMPLETE_REFRESH_SECONDS"] = 0
    app.extensions["portal_limiter"].enabled = False
    make.article("七天无理由退货政策", slug="return-policy", tags=["退货"], body="退货运费说明。")


def search_from(app, q: str, networks: int, client_class) -> None:
    """``networks`` different anonymous visitors (addresses), each without a kept cookie."""
    for n in range(networks):
        response = client_class(app).get(
            "/search", query_string={"q": q}, environ_base={"REMOTE_ADDR": f"10.1.0.{n + 1}"}
        )
        assert response.status_code == 200


def suggested(client, typed: str) -> list[str]:
    data = client.get("/search/autocomplete", query_string={"q": typed}).json
    return [s["text"] for s in data["suggestions"] if s["kind"] == "query"]


def test_the_reported_attack_cookie_less_clients_do_not_make_a_suggestion(app, client, corpus):
    for _ in range(20):  # the report: two cookie-less clients, repeatedly
        type(client)(app).get("/search", query_string={"q": "退货 运费 多少钱"})
    assert suggested(client, "退") == []


def test_a_query_needs_the_configured_number_of_visitors(app, client, corpus):
    minimum = app.config["SUGGESTION_MIN_SEARCHERS"]
    assert minimum >= 5
    search_from(app, "退货 运费 多少钱", minimum - 1, type(client))
    assert suggested(client, "退") == []
    search_from(app, "退货 运费 多少钱", minimum, type(client))
    assert suggested(client, "退") == ["退货 运费 多少钱"]


@pytest.mark.parametrize("query", CONTACT_QUERIES)
def test_queries_with_contact_details_are_never_suggested(app, client, corpus, query):
    search_from(app, query, 8, type(client))
    search_from(app, "退货 运费 多少钱", 8, type(client))  # the control does get through
    assert suggested(client, "退") == ["退货 运费 多少钱"]
    # Not vacuous: the query found results and was popular enough; only its content stops it.
    stored = normalize_query(mask_pii(query))
    assert MASK_MARK in stored or stored in dict(successful_queries(min_searchers=8))


@pytest.mark.parametrize("query", CLEAN_QUERIES)
def test_ordinary_queries_with_digits_or_app_names_are_not_mistaken_for_contacts(query):
    assert not has_contact_details(query)


def test_an_editor_blocks_and_unblocks_a_suggestion(app, client, make, corpus):
    search_from(app, "退货 运费 多少钱", 6, type(client))
    assert suggested(client, "退") == ["退货 运费 多少钱"]
    editor = make.user("editor")
    client.login(editor)
    page = client.get("/editor/search-tuning").get_data(as_text=True)
    assert "退货 运费 多少钱" in page  # listed with a block button
    assert (
        client.post(
            "/editor/search-tuning/suggestions/block", {"query": "退货 运费 多少钱"}
        ).status_code
        == 302
    )
    assert (
        client.post("/editor/search-tuning/suggestions/block", {"query": "  "}).status_code == 400
    )
    client.logout()
    assert suggested(client, "退") == []
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "suggestion.block"))
    entry = audit.one()
    assert entry.actor_id == editor.id and "退货 运费 多少钱" in entry.summary
    client.login(editor)
    blocked_id = int(entry.target_id)
    assert client.post(f"/editor/search-tuning/suggestions/{blocked_id}/delete").status_code == 302
    client.logout()
    assert suggested(client, "退") == ["退货 运费 多少钱"]


def test_customers_cannot_block_and_the_form_needs_csrf(app, client, make, corpus):
    client.login(make.user())
    assert (
        client.post("/editor/search-tuning/suggestions/block", {"query": "退货"}).status_code == 403
    )
    client.logout()
    client.login(make.user("editor"))
    assert (
        client.post(
            "/editor/search-tuning/suggestions/block", {"query": "退货"}, csrf=False
        ).status_code
        == 400
    )

"""'Did you mean' on the results page and in the API: pinyin input, homophone and English
typos, filters kept, never from bots, only when the suggestion finds more."""

import threading

import pytest
from sqlalchemy import select

from portal.editor.services import ArticleData, save_article
from portal.extensions import db
from portal.forum.services import create_topic
from portal.models import Article
from portal.searching import refresh
from portal.searching.spelling import build_spelling_index, document_texts, spelling_index
from search import analyzer

BOT = {"User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1)"}


@pytest.fixture
def corpus(app, make):
    app.config["SPELLING_REFRESH_SECONDS"] = 0  # every search sees the latest log
    shop = make.category("shop", "购物帮助")
    make.article(
        "七天无理由退货政策",
        slug="return-policy",
        category=shop,
        tags=["退货"],
        body="签收次日起七天内可申请退货。",
    )
    make.article("退货运费谁承担", slug="return-shipping", category=shop, body="运费说明。")
    make.article("退货地址查询", slug="return-address", category=shop, body="寄回地址。")
    make.article("如何开具发票", slug="invoice", category=shop, tags=["发票"], body="开票流程。")
    make.article(
        "Installing Qinghe Notes on Linux",
        slug="install-linux",
        language="en",
        body="Run the installer.",
    )
    make.article(
        "Refund policy for online orders",
        slug="refund-policy",
        language="en",
        tags=["refund"],
        body="Refunds take three days.",
    )
    make.article("配件说明", slug="accessories", category=shop, body="耳机需要单独购买。")


def suggestion(client, q, **args):
    return client.get("/api/v1/search", query_string={"q": q, **args}).json["did_you_mean"]


@pytest.mark.parametrize(
    "typed, wanted",
    [
        ("腿货", "退货"),
        ("发漂", "发票"),  # homophone typos
        ("腿貨", "退货"),  # traditional input is folded first
        ("tuihuo", "退货"),
        ("fa piao", "发票"),  # pinyin typed in letters
        ("refnud", "refund"),
        ("linx", "linux"),  # English typos
    ],
)
def test_api_suggests_a_better_query(client, corpus, typed, wanted):
    assert client.get("/api/v1/search", query_string={"q": typed}).json["total"] <= 2
    assert suggestion(client, typed) == wanted


def test_no_suggestion_when_results_are_fine_or_the_query_is_right(client, corpus):
    assert client.get("/api/v1/search?q=退货").json["total"] > 2
    assert suggestion(client, "退货") is None
    assert suggestion(client, "linux") is None  # one result, and nothing better to say
    assert suggestion(client, "完全无关的词") is None


def test_results_page_links_the_suggestion_and_keeps_filters(client, corpus):
    """With the correction not applied (nocorrect=1), the page offers it as a link."""
    page = client.get("/search?q=腿货&type=article&lang=zh-CN&nocorrect=1").get_data(as_text=True)
    assert 'class="did-you-mean"' in page
    link = page.split('class="did-you-mean"')[1].split("</p>")[0]
    assert ">退货</a>" in link and "type=article" in link and "lang=zh-CN" in link
    client.post("/lang/en")
    assert "Did you mean:" in client.get("/search?q=腿货&nocorrect=1").get_data(as_text=True)
    assert "Did you mean:" not in client.get("/search?q=退货").get_data(as_text=True)


def test_a_search_that_finds_nothing_shows_its_correction_at_once(client, corpus):
    """tuihuo finds nothing: the page shows 退货's results, says so, links back to the
    typed query, and both searches are logged (the failed one for content gaps)."""
    from portal.models import SearchLog

    client.post("/lang/en")
    assert client.get("/api/v1/search?q=tuihuo").json["total"] == 0
    page = client.get("/search?q=tuihuo&type=article").get_data(as_text=True)
    assert "Showing results for 退货" in page and "/a/return-policy" in page
    back = page.split("Showing results for")[1].split("</p>")[0]
    assert "q=tuihuo" in back and "nocorrect=1" in back and "type=article" in back
    logged = db.session.execute(
        select(SearchLog.query_raw, SearchLog.result_count, SearchLog.source).order_by(SearchLog.id)
    ).all()
    assert ("tuihuo", 0, "page") in logged
    assert [(q, source) for q, count, source in logged if count] == [("退货", "corrected")]
    plain = client.get("/search?q=tuihuo&nocorrect=1").get_data(as_text=True)
    assert 'class="result"' not in plain and "Did you mean:" in plain


def test_few_or_no_results_offer_the_next_step_prefilled(client, corpus, app):
    """Ask the community with the query filled in, or contact support (configurable)."""
    app.config["SUPPORT_URL"] = "https://help.qinghe.example/contact"
    app.config["SUPPORT_TEXT"] = "在线客服"
    none = client.get("/search?q=完全无关的词").get_data(as_text=True)
    assert 'class="next-steps"' in none
    assert "/forum/ask/?title=%E5%AE%8C%E5%85%A8" in none  # 完全无关的词, url-encoded
    assert 'href="https://help.qinghe.example/contact">在线客服</a>' in none
    few = client.get("/search?q=linux").get_data(as_text=True)
    assert 'class="next-steps"' in few
    assert 'class="next-steps"' not in client.get("/search?q=退货").get_data(as_text=True)
    app.config["SUPPORT_URL"] = ""
    assert "在线客服" not in client.get("/search?q=完全无关的词").get_data(as_text=True)


def test_a_not_helpful_vote_offers_the_next_step(client, corpus):
    client.post("/a/invoice/feedback", data={"helpful": "no", "comment": ""})
    page = client.get("/a/invoice").get_data(as_text=True)
    assert 'class="next-steps"' in page and "/forum/ask/?title=" in page
    client.post("/a/invoice/feedback", data={"helpful": "yes", "comment": ""})
    assert 'class="next-steps"' not in client.get("/a/invoice").get_data(as_text=True)


def test_past_customer_queries_are_candidates_but_bot_queries_never(client, corpus):
    # 耳机 is only in a body: no title or tag word spells it, only a past search can.
    client.get("/search?q=耳机", headers=BOT)
    assert suggestion(client, "尔机") is None
    client.get("/search?q=耳机")
    assert suggestion(client, "尔机") == "耳机"


def test_the_candidate_finding_most_wins_over_a_past_typo(client, corpus, make):
    make.article("腿部 货 架", slug="shelf", body="腿 货")  # so the typo finds a little
    client.get("/search?q=腿货")
    client.get("/search?q=腿货")
    assert client.get("/api/v1/search?q=腿货").json["total"] == 1  # a past "success"
    assert suggestion(client, "tuihuo") == "退货"


def test_a_suggestion_that_no_longer_finds_more_is_not_offered(client, corpus):
    client.get("/search?q=耳机")
    assert suggestion(client, "尔机") == "耳机"
    article = db.session.scalar(select(Article).where(Article.slug == "accessories"))
    # The editor archives the only article about it: the old query now finds nothing.
    save_article(
        article,
        ArticleData(
            title=article.title,
            slug=article.slug,
            body_md=article.body_md,
            category_id=None,
            status="archived",
        ),
        None,
        "archived",
    )
    assert suggestion(client, "尔机") is None


def test_the_lookup_is_built_once_and_refreshed_in_the_background(app, client, corpus, monkeypatch):
    app.config["SPELLING_REFRESH_SECONDS"] = 300
    first = spelling_index()
    assert spelling_index() is first
    later = refresh.time.monotonic() + 301
    monkeypatch.setattr(refresh.time, "monotonic", lambda: later)
    assert spelling_index() is first  # the stale one is served while a thread rebuilds
    for thread in threading.enumerate():
        if thread.name == "refresh-spelling":
            thread.join(timeout=30)
    assert spelling_index() is not first


def test_index_is_a_plain_function_of_queries_and_documents():
    index = build_spelling_index(
        [("退货", 9), ("发票抬头", 4), ("tuihuo", 1)],
        [["七天无理由退货政策", "退货"], ["退货政策"], ["如何开具发票"]],
    )
    assert index.candidates("tui huo 政策") == ["退货 政策"]
    assert index.candidates("退货发漂") == ["退货发票"]
    assert index.candidates("发票台头")[0] == "发票抬头"  # a past query outranks a rewrite
    assert index.candidates("退货") == []
    assert index.words["退货"] > index.words["政策"]  # weighted by queries and documents


def test_every_shown_document_is_read_with_its_tags_and_its_words_leave_no_cache(app, corpus, make):
    """The titles and tags are read a batch at a time, and analysed with a cache of the
    build's own: the words of every title must not stay in the analyzer's cache."""
    make.article("草稿里的标题", slug="draft", status="draft", tags=["草稿"])
    author = make.user()
    create_topic(author, title="耳机没有声音", body_md="怎么办", tags=["耳机", "声音"])
    create_topic(author, title="发票丢了", body_md="能补吗")
    texts = list(document_texts())
    assert ["七天无理由退货政策", "退货"] in texts and ["如何开具发票", "发票"] in texts
    assert ["退货运费谁承担"] in texts and ["发票丢了"] in texts
    assert ["耳机没有声音", "声音", "耳机"] in texts or ["耳机没有声音", "耳机", "声音"] in texts
    assert not any("草稿里的标题" in doc for doc in texts) and len(texts) == 9
    cached = analyzer._word_terms.cache_info().currsize
    index = build_spelling_index([], texts)
    assert analyzer._word_terms.cache_info().currsize == cached
    assert {"退货", "发票", "耳机", "声音", "linux", "installing"} <= set(index.words)

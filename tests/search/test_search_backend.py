"""Tests every SearchBackend (tantivy, Whoosh, PostgreSQL) against a real index.

The postgres engine runs when a PostgreSQL server answers (PORTAL_TEST_DATABASE_URL, else
127.0.0.1:5432): one throwaway database per session, one new table per test."""

import threading
import uuid
from datetime import UTC, datetime

import psycopg
import pytest
from whoosh import index as whoosh_index

from search.backend import (
    DocumentBatches,
    DocumentRows,
    IndexDocument,
    SearchBackend,
    SearchRequest,
)
from search.postgres.backend import PostgresBackend
from search.postgres.store import conninfo
from search.tantivy import TantivyBackend
from search.whoosh.backend import WhooshBackend
from tests.search_helpers import (
    apply_waits_for,
    instances,
    postgres_unavailable,
    throwaway_database,
)

ENGINES = ["tantivy", "whoosh", pytest.param("postgres", marks=pytest.mark.postgres)]
BACKEND_CLASSES = {"tantivy": TantivyBackend, "whoosh": WhooshBackend}


def doc(n, title="", body="", **kwargs):
    kwargs.setdefault("doc_type", "article")
    return IndexDocument(
        key=f"{kwargs['doc_type']}:{n}",
        doc_id=n,
        title=title,
        body=body,
        slug=f"slug-{n}",
        **kwargs,
    )


@pytest.fixture(scope="session")
def postgres_url():
    """A throwaway database for the whole session (skips when no server answers)."""
    reason = postgres_unavailable()
    if reason:
        pytest.skip(reason)
    with throwaway_database("portal_test") as url:
        yield url


@pytest.fixture
def postgres_table(postgres_url):
    """A table name of this test's own; the table is dropped afterwards."""
    name = f"search_t{uuid.uuid4().hex[:12]}"
    yield name
    with psycopg.connect(conninfo(postgres_url), autocommit=True) as conn:
        conn.execute(f'DROP TABLE IF EXISTS "{name}"')


@pytest.fixture(params=ENGINES)
def open_backend(request, tmp_path):
    """Opens one more instance on this test's index, as another server process would;
    every instance is closed afterwards."""
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
        table = request.getfixturevalue("postgres_table")

        def factory():
            return PostgresBackend(url, table)
    else:

        def factory():
            return BACKEND_CLASSES[request.param](tmp_path / "index")

    with instances(factory) as open_one:
        yield open_one


@pytest.fixture
def backend(open_backend):
    return open_backend()


@pytest.fixture
def whoosh_backend(tmp_path):
    backend = WhooshBackend(tmp_path / "index")
    yield backend
    backend.close()


def keys(backend, text, **kwargs):
    return [hit.key for hit in backend.search(SearchRequest(text, **kwargs)).hits]


def test_is_a_search_backend(backend):
    assert isinstance(backend, SearchBackend)


def test_index_search_update_delete(backend):
    backend.apply([doc(1, "退货政策", "七天无理由退货"), doc(2, "发票", "开具发票")], [])
    assert backend.document_count() == 2
    result = backend.search(SearchRequest("退货"))
    assert result.total == 1
    hit = result.hits[0]
    assert (hit.key, hit.doc_type, hit.doc_id, hit.slug, hit.title) == (
        "article:1",
        "article",
        1,
        "slug-1",
        "退货政策",
    )
    assert hit.rank == 1 and hit.score > 0
    assert result.tokens == ["退货"]

    backend.apply([doc(1, "换货政策", "十五天换货")], [])  # update by key
    assert keys(backend, "退货") == []
    assert keys(backend, "换货") == ["article:1"]
    assert backend.document_count() == 2

    backend.apply([], ["article:2", "article:999"])  # deleting a missing key is fine
    assert keys(backend, "发票") == []
    assert backend.document_count() == 1


def test_same_key_twice_in_one_batch_keeps_last(backend):
    backend.apply([doc(1, "旧标题"), doc(1, "新标题")], [])
    assert backend.document_count() == 1
    assert keys(backend, "新标题") == ["article:1"]
    # An upsert wins over a delete of the same key in the same call.
    backend.apply([doc(1, "再次更新")], ["article:1"])
    assert keys(backend, "再次更新") == ["article:1"]


def test_filters(backend):
    backend.apply(
        [
            doc(1, "同步冲突", language="zh-CN", category_ids=[5, 1]),
            doc(2, "同步冲突", language="zh-TW", category_ids=[6, 1]),
            doc(3, "sync conflict 同步冲突", language="en", category_ids=[7]),
            doc(4, "同步冲突", doc_type="forum", language="zh-CN"),
        ],
        [],
    )
    assert len(keys(backend, "同步")) == 4
    assert keys(backend, "同步", doc_type="forum") == ["forum:4"]
    assert keys(backend, "同步", language="zh-TW") == ["article:2"]
    assert sorted(keys(backend, "同步", category_id=1)) == ["article:1", "article:2"]
    assert keys(backend, "同步", category_id=7) == ["article:3"]
    assert keys(backend, "同步", category_id=1, language="zh-CN") == ["article:1"]
    assert backend.search(SearchRequest("同步", doc_type="article", language="en")).total == 1


def test_pagination_ranks(backend):
    backend.apply([doc(n, f"发票问题 {n}", "发票") for n in range(1, 26)], [])
    pages = [backend.search(SearchRequest("发票", page=p, per_page=10)) for p in (1, 2, 3, 4)]
    assert [r.total for r in pages] == [25, 25, 25, 25]
    assert pages[0].pages == 3
    assert [h.rank for h in pages[1].hits] == list(range(11, 21))
    assert [h.rank for h in pages[2].hits] == list(range(21, 26))
    assert pages[3].hits == []
    seen = [h.key for r in pages for h in r.hits]
    assert len(seen) == len(set(seen)) == 25
    scores = [h.score for r in pages for h in r.hits]
    assert scores == sorted(scores, reverse=True)


def test_bad_paging_values_are_clamped(backend):
    backend.apply([doc(1, "发票")], [])
    result = backend.search(SearchRequest("发票", page=0, per_page=-5))
    assert (result.page, result.per_page, result.total) == (1, 1, 1)


def test_snippet_highlights_and_escapes(backend):
    body = (
        "开头的说明文字。" * 20
        + "<script>alert(1)</script> 退货需要在七天内申请 & 审核"
        + "。结尾" * 50
    )
    backend.apply([doc(1, "<b>退货</b> & 政策", body)], [])
    hit = backend.search(SearchRequest("退货")).hits[0]
    assert "<mark>退货</mark>" in hit.snippet
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hit.snippet
    assert "<script>" not in hit.snippet
    assert "&amp;" in hit.snippet
    assert len(hit.snippet) < 600
    assert hit.title_html == "&lt;b&gt;<mark>退货</mark>&lt;/b&gt; &amp; 政策"


def test_snippet_is_short_even_with_many_matches(backend):
    body = "。".join(f"第{n}条：发票抬头可以在订单页面修改，发票会重新开具" for n in range(60))
    backend.apply([doc(1, "发票", body)], [])
    snippet = backend.search(SearchRequest("发票 修改")).hits[0].snippet
    assert "<mark>发票</mark>" in snippet and "<mark>修改</mark>" in snippet
    visible = snippet.replace("<mark>", "").replace("</mark>", "")
    assert len(visible) <= 2 * 160 + 5
    assert visible.endswith("…")


def test_snippet_falls_back_to_escaped_start_of_body(backend):
    body = "<i>正文</i>" + "内容" * 200
    backend.apply([doc(1, "发票抬头", body)], [])
    hit = backend.search(SearchRequest("发票")).hits[0]
    assert hit.snippet.startswith("&lt;i&gt;正文&lt;/i&gt;内容")
    assert hit.snippet.endswith("…")
    assert "<mark>" not in hit.snippet
    assert hit.title_html == "<mark>发票</mark>抬头"


def test_highlight_matches_traditional_text_and_stems(backend):
    backend.apply([doc(1, "Refund policy", "客戶服務會處理 refunds。")], [])
    hit = backend.search(SearchRequest("客户服务 refunding")).hits[0]
    assert "<mark>客戶服務</mark>" in hit.snippet
    assert "<mark>refunds</mark>" in hit.snippet
    assert hit.title_html == "<mark>Refund</mark> policy"


def test_a_search_without_highlighting_finds_the_same_hits_unmarked(backend):
    """highlight=False (callers that show no hits): same hits, ranks and total; the titles
    and snippets are escaped text with no <mark>."""
    backend.apply(
        [doc(n, f"<b>发票</b>问题 {n}", "开头。" * 80 + "发票可以修改") for n in range(1, 13)], []
    )
    marked = backend.search(SearchRequest("发票 修改"))
    plain = backend.search(SearchRequest("发票 修改", highlight=False))
    assert plain.total == marked.total == 12
    assert [(h.key, h.rank, h.score) for h in plain.hits] == [
        (h.key, h.rank, h.score) for h in marked.hits
    ]
    assert all("<mark>" in h.title_html and "<mark>" in h.snippet for h in marked.hits)
    for hit in plain.hits:
        assert hit.title_html == f"&lt;b&gt;发票&lt;/b&gt;问题 {hit.doc_id}"
        assert hit.snippet.startswith("开头。") and "<mark>" not in hit.snippet


def test_title_match_ranks_above_body_only_match(backend):
    filler = "这里是一些关于账户设置的说明。"
    backend.apply(
        [
            doc(1, "账户设置", filler + "如需开具发票请联系客服。" + filler),
            doc(2, "发票开具指南", filler + filler),
        ],
        [],
    )
    assert keys(backend, "发票") == ["article:2", "article:1"]


def test_recently_updated_ranks_above_the_same_text_updated_long_ago(backend):
    """Freshness (search/ranking.py) breaks ties between equally good texts, in every engine."""
    now = datetime.now(UTC).replace(tzinfo=None)
    backend.apply(
        [
            doc(
                1,
                "发票抬头修改",
                "在订单详情页修改发票抬头。",
                updated=now.replace(year=now.year - 3),
            ),
            doc(2, "发票抬头修改", "在订单详情页修改发票抬头。", updated=now),
            doc(3, "发票抬头修改", "在订单详情页修改发票抬头。"),  # no date: no freshness bonus
        ],
        [],
    )
    ranked = keys(backend, "发票抬头")
    assert ranked[0] == "article:2" and set(ranked[1:]) == {"article:1", "article:3"}


def test_more_matched_terms_rank_first(backend):
    backend.apply(
        [
            doc(1, "发票发票发票", "发票 发票 发票 发票"),
            doc(2, "修改发票抬头", "在订单页面修改发票抬头"),
        ],
        [],
    )
    assert keys(backend, "我想修改发票抬头怎么弄")[0] == "article:2"


def test_document_boost_changes_order(backend):
    backend.apply(
        [doc(1, "密码重置", "重置密码", boost=1.0), doc(2, "密码重置", "重置密码", boost=3.0)], []
    )
    first = backend.search(SearchRequest("密码")).hits
    assert [h.key for h in first] == ["article:2", "article:1"]
    assert first[0].score == pytest.approx(first[1].score * 3.0)
    backend.apply([doc(1, "密码重置", "重置密码", boost=5.0)], [])
    assert keys(backend, "密码") == ["article:1", "article:2"]


def test_rebuild_replaces_everything_and_reports_progress(backend):
    backend.apply([doc(9999, "旧文档")], [])
    increments = []
    docs = (doc(n, f"文章 {n}", "同步冲突" if n % 2 else "发票") for n in range(1, 1235))
    assert backend.rebuild(docs, progress=increments.append) == 1234
    assert sum(increments) == 1234
    assert len(increments) == 3  # batches of 500
    assert backend.document_count() == 1234
    assert keys(backend, "旧文档") == []
    assert backend.search(SearchRequest("发票")).total == 617
    assert backend.rebuild([]) == 0
    assert backend.document_count() == 0


def made_documents(rows):
    """Documents from (number, title, body) rows, as a source's builder makes them (a
    module-level function: rebuilds run it in their worker processes)."""
    return [doc(n, title, body) for n, title, body in rows]


def test_rebuild_from_row_batches_keeps_the_first_document_of_a_key(backend):
    rows = [(n, f"文章 {n}", "同步冲突" if n % 2 else "发票") for n in range(1, 1235)]
    batches = [DocumentRows(made_documents, rows[i : i + 500]) for i in range(0, 1234, 500)]
    batches.append(DocumentRows(made_documents, [(7, "重复的文章", "重复")]))
    increments = []
    assert backend.rebuild(DocumentBatches(batches), progress=increments.append) == 1234
    assert sum(increments) == 1234
    assert backend.document_count() == 1234
    assert backend.search(SearchRequest("发票")).total == 617
    assert backend.search(SearchRequest("同步冲突")).total == 617  # 7 among them
    assert keys(backend, "重复") == []


def test_segments_are_not_compound(whoosh_backend, tmp_path):
    backend = whoosh_backend
    backend.apply([doc(1, "发票")], [])
    backend.apply([doc(2, "退货")], [])
    backend.rebuild([doc(3, "换货")])
    files = [p.name for p in (tmp_path / "index").iterdir()]
    assert files and not [name for name in files if name.endswith(".seg")]


def test_second_instance_sees_writes_after_refresh(backend, open_backend):
    other = open_backend()  # e.g. another server process
    assert other.document_count() == 0
    assert keys(other, "退货") == []
    backend.apply([doc(1, "退货政策")], [])
    assert keys(other, "退货") == ["article:1"]
    other.apply([], ["article:1"])
    assert keys(backend, "退货") == []


def test_searcher_is_reused_until_the_index_changes(whoosh_backend):
    backend = whoosh_backend
    backend.apply([doc(1, "发票")], [])
    backend.search(SearchRequest("发票"))
    searcher = backend._searcher
    backend.search(SearchRequest("退货"))
    backend.document_count()
    assert backend._searcher is searcher  # unchanged index: the same searcher
    backend.apply([doc(2, "退货")], [])
    assert keys(backend, "退货") == ["article:2"]
    assert backend._searcher is not searcher


def test_concurrent_searches_and_writes(backend):
    backend.apply([doc(n, f"发票问题 {n}") for n in range(50)], [])
    errors = []

    def run(fn):
        try:
            fn()
        except Exception as exc:  # collected and asserted in the main thread
            errors.append(exc)

    def searches():
        for _ in range(20):
            assert backend.search(SearchRequest("发票")).total >= 50
            backend.suggest("发票")

    def writes():
        for n in range(50, 60):
            backend.apply([doc(n, f"发票问题 {n}")], [])

    threads = [threading.Thread(target=run, args=(searches,)) for _ in range(4)]
    threads.append(threading.Thread(target=run, args=(writes,)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert backend.document_count() == 60


def test_apply_waits_for_another_writer(whoosh_backend, tmp_path):
    backend = whoosh_backend
    backend.apply([doc(1, "发票")], [])
    foreign = whoosh_index.open_dir(str(tmp_path / "index")).writer()  # holds the lock
    apply_waits_for(backend, foreign.cancel, doc(2, "退货"))
    assert keys(backend, "退货") == ["article:2"]


def test_phrase_query_needs_adjacent_words(backend):
    backend.apply(
        [
            doc(1, "说明", "本店的退货政策如下"),
            doc(2, "说明", "政策变化后，退货流程也变了"),
        ],
        [],
    )
    assert sorted(keys(backend, "退货 政策")) == ["article:1", "article:2"]
    assert keys(backend, '"退货 政策"') == ["article:1"]
    assert keys(backend, "「退货政策」") == ["article:1"]
    hit = backend.search(SearchRequest('"退货 政策"')).hits[0]
    assert "<mark>" in hit.snippet


def test_required_and_excluded_terms(backend):
    backend.apply(
        [
            doc(1, "退货 发票"),
            doc(2, "退货 换货"),
            doc(3, "发票 抬头"),
        ],
        [],
    )
    assert sorted(keys(backend, "退货 -发票")) == ["article:2"]
    assert sorted(keys(backend, "+发票 退货")) == ["article:1", "article:3"]
    assert keys(backend, "+发票 退货")[0] == "article:1"
    assert sorted(keys(backend, "发票 AND 抬头")) == ["article:3"]
    assert sorted(keys(backend, "发票 NOT 抬头")) == ["article:1"]
    assert sorted(keys(backend, "换货 OR 抬头")) == ["article:2", "article:3"]
    assert keys(backend, "-发票") == []  # nothing positive to look for


def test_tags_are_searchable(backend):
    backend.apply([doc(1, "常见问题", "正文", tags=["退货政策", "售后"])], [])
    assert keys(backend, "售后") == ["article:1"]
    assert keys(backend, "退货") == ["article:1"]


def test_updated_accepts_aware_and_naive_datetimes(backend):
    backend.apply(
        [
            doc(1, "发票", updated=datetime(2024, 5, 1, 8, tzinfo=UTC)),
            doc(2, "发票", updated=datetime(2024, 5, 2)),
        ],
        [],
    )
    assert backend.search(SearchRequest("发票")).total == 2


def test_suggest(backend):
    backend.apply(
        [
            doc(1, "退货政策说明"),
            doc(2, "退款多久到账"),
            doc(3, "Refund policy"),
            doc(4, "退货政策说明"),
            doc(5, "发票抬头"),
        ],
        [],
    )
    assert sorted(backend.suggest("退")) == sorted(["退货政策说明", "退款多久到账"])
    assert backend.suggest("退货政") == ["退货政策说明"]
    assert backend.suggest("refu") == ["Refund policy"]
    assert backend.suggest("退", limit=1) in (["退货政策说明"], ["退款多久到账"])
    assert backend.suggest("") == []
    assert backend.suggest("的") == []


def test_huge_category_id_matches_nothing(backend):
    """Ids beyond a 64-bit integer match nothing (SQL engines could not even bind them)."""
    backend.apply([doc(1, "发票", category_ids=[3])], [])
    assert keys(backend, "发票", category_id=2**70) == []
    assert keys(backend, "发票", category_id="3") == ["article:1"]


def test_reopening_an_existing_index(open_backend):
    first = open_backend()
    first.apply([doc(1, "发票")], [])
    first.close()
    second = open_backend()
    assert second.document_count() == 1
    assert keys(second, "发票") == ["article:1"]


def test_unknown_word_is_found_through_its_characters(backend):
    # The segmenter cuts 花呗 into 花 + 呗; the bigram field still holds 花呗.
    backend.apply([doc(1, "花呗付款说明", "分期付款"), doc(2, "鲜花配送", "花店")], [])
    assert keys(backend, "能用花呗吗")[0] == "article:1"


def test_typo_inside_a_word_is_found_through_a_bigram(backend):
    # 发漂 is a typo of 发票; 抬头 still matches as a bigram and a word.
    backend.apply([doc(1, "申请开具发票抬头", "说明"), doc(2, "退货", "说明")], [])
    assert keys(backend, "发漂抬头") == ["article:1"]


def test_a_query_of_stop_words_only_is_found_through_its_bigrams(backend):
    # 我, 是 and 谁 are stop words, yet 我是谁呀 asks something: its bigrams 我是 and 是谁
    # still match. Bigrams that are stop words themselves (请问, 怎么) match nothing.
    backend.apply(
        [doc(1, "你知道我是谁吗", "问答"), doc(2, "谁是你的老师", "请问怎么联系老师")], []
    )
    assert keys(backend, "我是谁呀") == ["article:1"]
    result = backend.search(SearchRequest("请问 怎么"))
    assert (result.total, result.tokens) == (0, [])


def test_a_function_character_of_the_query_counts_as_a_character(backend):
    # 你 is a stop word, so no word of 你的老师 tells these apart, nor does a bigram (both
    # share 老师 only); the character 你 does (ranking.FUNCTION_CHAR_WEIGHT).
    backend.apply([doc(1, "老师我", "老师我"), doc(2, "老师你", "老师你")], [])
    assert keys(backend, "你的老师") == ["article:2", "article:1"]


def test_a_rare_query_word_outweighs_a_common_one(backend):
    # 帐号 is in every document but one, 发票 in one: idf (on postgres from the index's
    # document counts, search/postgres/idf.py) ranks the 发票 document first.
    common = [doc(n, f"帐号{n}", "说明") for n in range(2, 7)]
    backend.apply([doc(1, "帐号设置", "说明"), *common, doc(7, "发票设置", "说明")], [])
    assert keys(backend, "帐号 发票")[0] == "article:7"

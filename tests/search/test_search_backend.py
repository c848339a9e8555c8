"""Tests every SearchBackend (tantivy, Whoosh, PostgreSQL) against a real index.

The postgres engine runs when a PostgreSQL server answers (PORTAL_TEST_DATABASE_URL, else
127.0.0.1:5432): one throwaway database per session, one new table per test."""

import threading
from datetime import UTC, datetime

from whoosh import index as whoosh_index

from search.backend import (
    DocumentBatches,
    DocumentRows,
    SearchBackend,
    SearchRequest,
)
from tests.search_helpers import (
    apply_waits_for,
    doc,
    keys,
)


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

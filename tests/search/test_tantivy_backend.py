"""tantivy backend specifics: token fields, the re-rank, characters beside words, other
processes' commits, rebuilds under readers, writer locks and a SIGKILLed writer."""

import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import tantivy

from portal import create_app
from portal.config import ConfigError
from portal.indexing.backend import close_backend, get_backend
from search import ranking
from search.backend import OutdatedIndexError, SearchRequest
from search.query import parse_user_query
from search.tantivy import TantivyBackend
from search.tantivy.schema import build_schema, register_tokenizer
from tests import ROOT
from tests.conftest import _app_config
from tests.process_support import run_python
from tests.search.test_query_robustness import HOSTILE, assert_safe_html
from tests.search_helpers import apply_waits_for, doc, keys, rebuild_with_late_apply


@pytest.fixture
def index_dir(tmp_path):
    return tmp_path / "index"


@pytest.fixture
def backend(index_dir):
    backend = TantivyBackend(index_dir)
    yield backend
    backend.close()


@pytest.fixture(params=["exact", "pruned"])
def ranking_path(request, monkeypatch, backend):
    """The backend, ranking either every hit exactly or the pruned candidates (the path
    taken above EXACT_BELOW hits), which must rank alike."""
    if request.param == "pruned":
        monkeypatch.setattr("search.tantivy.backend.EXACT_BELOW", 0)
    return backend


def test_tokens_with_dots_plus_and_hash_stay_whole(backend):
    backend.apply(
        [
            doc(1, "升级到 4.2.1", "c++ 插件和 C# 插件都要更新"),
            doc(2, "升级到 4.2.10", "只有 python 插件"),
        ],
        [],
    )
    assert keys(backend, "4.2.1") == ["article:1"]
    assert keys(backend, "4.2") == []
    assert keys(backend, "c++") == ["article:1"]
    assert keys(backend, '"c++ 插件"') == ["article:1"]


def test_sub_words_match_terms_and_rank_by_their_field(ranking_path):
    ranking_path.apply(
        [
            doc(1, "说明", "我们的客戶服務很好"),
            doc(2, "客户服务时间", "每天九点开始"),
        ],
        [],
    )
    # 服务 occurs only inside the words 客户服务 / 客戶服務 (sub-word fields).
    assert keys(ranking_path, "服务") == ["article:2", "article:1"]
    assert "<mark>服務</mark>" in ranking_path.search(SearchRequest("服务")).hits[1].snippet


def test_synonyms_score_below_the_literal_word(ranking_path):
    assert "退款" in parse_user_query("退货").alternatives["退货"]
    ranking_path.apply([doc(1, "退货", "说明"), doc(2, "退款", "说明")], [])
    first, second = ranking_path.search(SearchRequest("退货")).hits
    assert (first.key, second.key) == ("article:1", "article:2")
    assert second.score < first.score
    assert keys(ranking_path, "退货 -退款") == ["article:1"]


def test_freshness_is_applied_in_the_rerank(ranking_path):
    now = datetime.now(UTC)
    ranking_path.apply(
        [
            doc(1, "发票", "说明", updated=None),
            doc(2, "发票", "说明", updated=now.replace(year=now.year - 1)),
            doc(3, "发票", "说明", updated=now),
        ],
        [],
    )
    hits = {hit.key: hit.score for hit in ranking_path.search(SearchRequest("发票")).hits}
    base = hits["article:1"]
    assert hits["article:3"] == pytest.approx(base * ranking.freshness_boost(0), rel=1e-4)
    year_old = ranking.freshness_boost(ranking.age_in_days(now.replace(year=now.year - 1)))
    assert hits["article:2"] == pytest.approx(base * year_old, rel=1e-4)


def test_coordination_is_applied_in_the_rerank(ranking_path):
    ranking_path.apply([doc(1, "发票 抬头"), doc(2, "发票")], [])
    hits = {hit.key: hit.score for hit in ranking_path.search(SearchRequest("发票 抬头 退货")).hits}
    # Both match; article 1 has two of the three words and keeps more of its score.
    assert set(hits) == {"article:1", "article:2"}
    assert hits["article:1"] > hits["article:2"]


def test_characters_alone_do_not_make_a_hit(ranking_path):
    ranking_path.apply([doc(1, "发货时间", "说明"), doc(2, "发票抬头", "说明")], [])
    # 发 is shared, but no word or bigram: nothing to list (did-you-mean takes over).
    result = ranking_path.search(SearchRequest("发漂"))
    assert (result.total, result.hits) == (0, [])
    # With a word that matches, the document sharing only 发 is still not listed.
    assert keys(ranking_path, "发漂 抬头") == ["article:2"]


def test_total_counts_every_match_beyond_the_candidates(ranking_path):
    docs = [doc(n, f"退货说明 {n}", "退货") for n in range(1, ranking.CANDIDATES + 51)]
    docs.append(doc(999, "货到付款", "退"))  # shares characters only
    ranking_path.apply(docs, [])
    result = ranking_path.search(SearchRequest("退货", per_page=10, page=3))
    assert result.total == ranking.CANDIDATES + 50
    assert [hit.rank for hit in result.hits] == list(range(21, 31))
    deep = ranking_path.search(SearchRequest("退货", per_page=100, page=3))
    assert len(deep.hits) == 50 and "article:999" not in {hit.key for hit in deep.hits}


@pytest.mark.parametrize(
    "text, filters",
    [
        ('"退货 说明"', {}),
        ("+退货 说明", {}),
        ("退货", {"doc_type": "article"}),
        ("退货 -发票", {}),
    ],
)
def test_total_of_an_exact_ranking_counts_every_match_and_no_other(backend, text, filters):
    """Required clauses, filters and exclusions rank exactly; the total is that ranking's
    own count: every match beyond the candidates, never a document sharing characters."""
    docs = [doc(n, f"退货说明 {n}", "退货 说明") for n in range(1, ranking.CANDIDATES + 51)]
    docs += [doc(998, "发票", "退货 说明"), doc(999, "货到付款", "退 说")]
    docs.append(doc(997, "退货 说明", "forum", doc_type="forum"))
    backend.apply(docs, [])
    result = backend.search(SearchRequest(text, per_page=10, page=3, **filters))
    expected = ranking.CANDIDATES + 50 + (0 if "发票" in text else 1) + (0 if filters else 1)
    assert result.total == expected
    assert [hit.rank for hit in result.hits] == list(range(21, 31))
    everything = backend.search(SearchRequest(text, per_page=100, page=3, **filters))
    assert "article:999" not in {hit.key for hit in everything.hits}
    assert len(everything.hits) == expected - 200


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_never_raises(backend, text):
    backend.apply([doc(1, "退货政策", '七天无理由退货。<b>注意</b> & "quoted" c++')], [])
    result = backend.search(SearchRequest(text))
    for hit in result.hits:
        assert_safe_html(hit.snippet)
        assert_safe_html(hit.title_html)
    assert isinstance(backend.suggest(text), list)


def test_lone_surrogates_in_documents_are_kept(backend):
    backend.apply([doc(1, "发票\ud800抬头", "说明\udfff")], [])
    assert backend.search(SearchRequest("发票")).hits[0].title == "发票\ud800抬头"


def test_reader_sees_a_commit_from_another_process_on_its_next_query(backend, index_dir):
    backend.apply([doc(1, "发票")], [])
    assert keys(backend, "退货") == []
    run_python(
        "import sys\n"
        "from search.tantivy import TantivyBackend\n"
        "from search.backend import IndexDocument\n"
        "TantivyBackend(sys.argv[1]).apply([IndexDocument(key='article:2', doc_type='article',"
        " doc_id=2, title='退货政策', body='')], [])\n",
        str(index_dir),
        timeout=60,
    )
    assert keys(backend, "退货") == ["article:2"]


def test_rebuild_replaces_the_index_while_readers_are_open(backend, index_dir):
    backend.apply([doc(1, "发票抬头")], [])
    reader = TantivyBackend(index_dir)  # another server process
    try:
        assert keys(reader, "发票") == ["article:1"]
        seen_mid_build = []

        def progress(_count):
            seen_mid_build.append((keys(reader, "发票"), keys(reader, "退货")))

        docs = [doc(n, "退货政策") for n in range(2, 1203)]
        assert backend.rebuild(docs, progress=progress) == 1201
        assert seen_mid_build and all(s == (["article:1"], []) for s in seen_mid_build)
        assert keys(reader, "发票") == []
        assert reader.search(SearchRequest("退货")).total == 1201
        assert reader.document_count() == 1201
    finally:
        reader.close()


def test_apply_during_rebuild_waits_and_lands_after_it(backend, index_dir):
    writer = TantivyBackend(index_dir)
    try:
        rebuild_with_late_apply(
            backend, writer, [doc(n, "文档") for n in range(1, 600)], doc(9999, "迟到的文档")
        )
        assert keys(backend, "迟到") == ["article:9999"]
        assert backend.document_count() == 600
    finally:
        writer.close()


def test_apply_waits_for_a_foreign_tantivy_writer(backend, index_dir):
    backend.apply([doc(1, "发票")], [])
    foreign_index = tantivy.Index(build_schema(), path=str(index_dir / ""), reuse=True)
    register_tokenizer(foreign_index)
    holder = {"writer": foreign_index.writer(heap_size=15_000_000, num_threads=1)}

    def release():
        holder.pop("writer").rollback()
        holder.clear()

    apply_waits_for(backend, release, doc(2, "退货"))
    assert keys(backend, "退货") == ["article:2"]


def test_a_killed_writer_loses_only_its_uncommitted_batch(backend, index_dir):
    backend.apply([doc(1, "发票")], [])
    result = run_python(
        "import os, signal, sys\n"
        "from search.tantivy import TantivyBackend\n"
        "from search.tantivy.documents import analyse, to_document\n"
        "from search.backend import IndexDocument\n"
        "b = TantivyBackend(sys.argv[1])\n"
        "b.apply([IndexDocument(key='article:2', doc_type='article', doc_id=2,"
        " title='退货政策', body='')], [])\n"
        "with b._writer(15_000_000) as w:\n"
        "    w.delete_all_documents()\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n",
        str(index_dir),
        timeout=60,
        check=False,
    )
    assert result.returncode == -signal.SIGKILL
    reopened = TantivyBackend(index_dir)
    assert reopened.document_count() == 2  # committed kept, uncommitted gone
    reopened.apply([doc(3, "换货")], [])  # the dead process's locks are gone with it
    assert keys(reopened, "换货") == ["article:3"]


def test_portal_selects_the_backend_by_configuration(tmp_path):
    app = create_app({**_app_config(tmp_path), "SEARCH_BACKEND": "tantivy"})
    assert isinstance(get_backend(app), TantivyBackend)
    with pytest.raises(ConfigError, match="PORTAL_SEARCH_BACKEND"):
        create_app({**_app_config(tmp_path), "SEARCH_BACKEND": "lucene"})


@pytest.mark.slow
def test_the_retired_sqlite_engine_names_its_replacement(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "PORTAL_DATA_DIR": str(tmp_path),
        "PORTAL_SEARCH_BACKEND": "sqlite",
    }
    result = subprocess.run(
        [str(Path(sys.executable).with_name("flask")), "--app", "wsgi", "search", "drain"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "tantivy" in result.stderr and "search reindex" in result.stderr
    assert "Traceback" not in result.stderr


def _older_version_index(path: Path) -> tantivy.Index:
    """An index with other fields than this version's, in ``path`` (an existing folder)."""
    old_builder = tantivy.SchemaBuilder()
    old_builder.add_text_field("key", stored=True, tokenizer_name="raw")
    return tantivy.Index(old_builder.build(), path=str(path), reuse=False)


def test_an_index_of_an_older_version_is_refused_until_rebuilt(index_dir):
    index_dir.mkdir()
    old = _older_version_index(index_dir)
    writer = old.writer(heap_size=15_000_000, num_threads=1)
    writer.add_document(tantivy.Document(key="article:1"))
    writer.commit()
    backend = TantivyBackend(index_dir)
    assert backend.document_count() == 0  # so `search reindex --if-missing` rebuilds it
    with pytest.raises(OutdatedIndexError, match="flask --app wsgi search reindex"):
        backend.search(SearchRequest("发票"))
    with pytest.raises(OutdatedIndexError):
        backend.apply([doc(2, "发票")], [])
    assert backend.rebuild([doc(3, "发票")]) == 1
    assert keys(backend, "发票") == ["article:3"]
    assert keys(TantivyBackend(index_dir), "发票") == ["article:3"]


def test_a_shared_bigram_alone_makes_a_hit(ranking_path):
    # 票抬 is cut into 票 / 抬, words that neither article has; only the bigram 票抬 (of
    # 发票抬头) ties it to article 1, which must be listed on both paths (the pruned one
    # checks its candidates for a word or a bigram); article 2 shares the character 票.
    ranking_path.apply([doc(1, "发票抬头", "说明"), doc(2, "门票", "说明")], [])
    result = ranking_path.search(SearchRequest("票抬"))
    assert [hit.key for hit in result.hits] == ["article:1"]
    assert result.total == 1


def test_past_the_cap_the_total_is_the_largest_term_count_as_at_least(backend, monkeypatch):
    """When one query term alone has more than TOTAL_CAP documents, the total is that
    term's count, said as "at least" (the union of every term is not walked to count it);
    at or under the cap it is exact."""
    docs = [doc(n, f"退货说明 {n}", "退货") for n in range(1, 61)]
    docs += [doc(100 + n, f"发票 {n}", "发票") for n in range(1, 31)]
    # Others, so no query character is in so many documents that it goes unscored.
    docs += [doc(200 + n, f"登录 {n}", "密码") for n in range(1, 201)]
    backend.apply(docs, [])
    monkeypatch.setattr("search.tantivy.backend.TOTAL_CAP", 50)
    both = backend.search(SearchRequest("退货 发票", per_page=10))
    assert (both.total, both.total_is_lower_bound) == (60, True)  # 90 hits in all
    assert len(both.hits) == 10
    alone = backend.search(SearchRequest("发票", per_page=10))
    assert (alone.total, alone.total_is_lower_bound) == (30, False)
    # A page past the bound is not cut off by it: the hits are counted then.
    deep = backend.search(SearchRequest("退货 发票", per_page=10, page=7))
    assert (deep.total, deep.total_is_lower_bound) == (90, False)
    assert [hit.rank for hit in deep.hits] == list(range(61, 71))


@pytest.mark.parametrize("margin", [None, 0.01])
@pytest.mark.parametrize(
    "filters, broad",
    [
        ({"doc_type": "article"}, True),
        ({"language": "zh-CN"}, True),
        ({"doc_type": "forum"}, False),  # too few forum documents for a bound past the cap
    ],
)
def test_a_filtered_search_past_the_cap_ranks_as_the_exact_ranking(
    backend, monkeypatch, filters, broad, margin
):
    """Past TOTAL_CAP a filtered search ranks the flat ranking's top and checks the filters
    on those candidates (a filter required beside the terms stops tantivy's pruning): the
    same hits in the same order as the exact filtered ranking, with an "at least" total.
    With too small a margin too few candidates pass, and the exact ranking is asked."""
    docs = [
        doc(
            n,
            f"退货说明 {n}" if n % 3 else f"运费 {n}",
            "退货 " * (n % 7 + 1) + "运费" * (n % 2),
            doc_type="forum" if n % 4 == 0 else "article",
            language="zh-TW" if n % 5 == 0 else "zh-CN",
        )
        for n in range(1, 301)
    ]
    docs += [doc(1000 + n, f"登录 {n}", "密码 账号", language="zh-CN") for n in range(1, 401)]
    backend.apply(docs, [])
    pages = [SearchRequest("退货 运费", page=page, per_page=10, **filters) for page in (1, 3)]
    exact = [backend.search(request) for request in pages]
    assert not exact[0].total_is_lower_bound
    monkeypatch.setattr("search.tantivy.backend.TOTAL_CAP", 5)
    monkeypatch.setattr("search.tantivy.backend.EXACT_BELOW", 0)
    if margin is not None:
        monkeypatch.setattr("search.tantivy.backend.FILTER_MARGIN", margin)
    flat = [backend.search(request) for request in pages]
    for before, after in zip(exact, flat, strict=True):
        assert [(h.key, h.rank) for h in after.hits] == [(h.key, h.rank) for h in before.hits]
        assert [h.score for h in after.hits] == pytest.approx([h.score for h in before.hits])
        assert after.total_is_lower_bound == broad
        assert 5 < after.total <= before.total if broad else after.total == before.total


def test_healthz_reports_an_index_of_an_older_version(tmp_path):
    """An old index counts 0 documents (so `search reindex --if-missing` replaces it) but
    cannot be searched: the health check says so with a 503 before customers meet it."""
    app = create_app({**_app_config(tmp_path), "SEARCH_BACKEND": "tantivy"})
    with app.app_context():
        from portal.extensions import db

        db.create_all()
    client = app.test_client()
    assert client.get("/healthz").json["index"] == {"ok": True, "documents": 0}
    engine_dir = get_backend(app).index_dir
    close_backend(app)
    for path in engine_dir.iterdir():
        if path.is_file():
            path.unlink()
    _older_version_index(engine_dir)
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json["status"] == "degraded"
    assert response.json["index"] == {"ok": False, "error": "OutdatedIndexError"}

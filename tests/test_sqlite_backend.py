"""SQLite FTS5 backend specifics: token encoding, WAL visibility, generation swaps, recovery."""

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from portal import create_app
from portal.indexing.backend import get_backend
from search import ranking
from search.backend import SearchRequest
from search.query import parse_user_query
from search.sqlite_backend import SqliteBackend
from tests.conftest import _app_config
from tests.search_helpers import apply_waits_for, rebuild_with_late_apply
from tests.test_query_robustness import HOSTILE, assert_safe_html
from tests.test_search_backend import doc, keys

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def index_dir(tmp_path):
    return tmp_path / "index"


@pytest.fixture
def backend(index_dir):
    backend = SqliteBackend(index_dir)
    yield backend
    backend.close()


def generations(index_dir):
    return sorted(p.name for p in index_dir.glob("fts-*.sqlite3"))


def run_python(code, index_dir):
    """Run ``code`` in a fresh interpreter (another server process) with ``index_dir``."""
    return subprocess.run(
        [sys.executable, "-c", code, str(index_dir)], cwd=ROOT, capture_output=True,
        text=True, timeout=60,
    )


def test_tokens_with_dots_plus_and_hash_stay_whole(backend):
    backend.apply([
        doc(1, "升级到 4.2.1", "c++ 插件和 C# 插件都要更新"),
        doc(2, "升级到 4.2.10", "只有 python 插件"),
    ], [])
    assert keys(backend, "4.2.1") == ["article:1"]
    assert keys(backend, "4.2") == []
    assert keys(backend, "c++") == ["article:1"]
    hit = backend.search(SearchRequest("c#")).hits[0]
    assert hit.key == "article:1" and "<mark>C#</mark>" in hit.snippet
    assert keys(backend, '"c++ 插件"') == ["article:1"]


def test_sub_words_match_terms_and_rank_by_their_field(backend):
    backend.apply([
        doc(1, "说明", "我们的客戶服務很好"),
        doc(2, "客户服务时间", "每天九点开始"),
    ], [])
    # 服务 occurs only inside the words 客户服务 / 客戶服務 (sub-word columns).
    assert keys(backend, "服务") == ["article:2", "article:1"]
    assert "<mark>服務</mark>" in backend.search(SearchRequest("服务")).hits[1].snippet


def test_synonyms_score_at_the_synonym_weight(backend):
    assert "退款" in parse_user_query("退货").alternatives["退货"]
    backend.apply([doc(1, "退货", "说明"), doc(2, "退款", "说明")], [])
    first, second = backend.search(SearchRequest("退货")).hits
    assert (first.key, second.key) == ("article:1", "article:2")
    assert second.score == pytest.approx(first.score * ranking.SYNONYM_WEIGHT)
    assert keys(backend, "退货 -退款") == ["article:1"]


def test_freshness_is_applied_at_query_time(backend):
    now = datetime.now(UTC)
    backend.apply([doc(1, "发票", "说明", updated=None),
                   doc(2, "发票", "说明", updated=now.replace(year=now.year - 1)),
                   doc(3, "发票", "说明", updated=now)], [])
    hits = {hit.key: hit.score for hit in backend.search(SearchRequest("发票")).hits}
    base = hits["article:1"]
    assert hits["article:3"] == pytest.approx(base * ranking.freshness_boost(0), rel=1e-4)
    year_old = ranking.freshness_boost(ranking.age_in_days(now.replace(year=now.year - 1)))
    assert hits["article:2"] == pytest.approx(base * year_old, rel=1e-4)


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_never_raises(backend, text):
    backend.apply([doc(1, "退货政策", "七天无理由退货。<b>注意</b> & \"quoted\" c++")], [])
    result = backend.search(SearchRequest(text))
    for hit in result.hits:
        assert_safe_html(hit.snippet)
        assert_safe_html(hit.title_html)
    assert isinstance(backend.suggest(text), list)


def test_reader_sees_a_commit_from_another_process_on_its_next_query(backend, index_dir):
    backend.apply([doc(1, "发票")], [])
    assert keys(backend, "退货") == []
    connection = backend._files.connection()
    result = run_python(
        "import sys\n"
        "from search.sqlite_backend import SqliteBackend\n"
        "from search.backend import IndexDocument\n"
        "SqliteBackend(sys.argv[1]).apply([IndexDocument(key='article:2', doc_type='article',"
        " doc_id=2, title='退货政策', body='')], [])\n",
        index_dir,
    )
    assert result.returncode == 0, result.stderr
    assert keys(backend, "退货") == ["article:2"]
    assert backend._files.connection() is connection  # WAL, not a reopen, made it visible


def test_rebuild_swaps_generations_while_readers_are_open(backend, index_dir):
    backend.apply([doc(1, "发票抬头")], [])
    reader = SqliteBackend(index_dir)  # another server process
    try:
        assert keys(reader, "发票") == ["article:1"]
        old = generations(index_dir)
        seen_mid_build = []

        def progress(_count):
            seen_mid_build.append((keys(reader, "发票"), keys(reader, "退货")))

        docs = [doc(n, "退货政策") for n in range(2, 1203)]
        assert backend.rebuild(docs, progress=progress) == 1201
        assert seen_mid_build and all(s == (["article:1"], []) for s in seen_mid_build)
        assert keys(reader, "发票") == []
        assert reader.search(SearchRequest("退货")).total == 1201
        assert reader.document_count() == 1201
        new = generations(index_dir)
        assert len(new) == 1 and new != old  # the retired generation is deleted
    finally:
        reader.close()


def test_open_read_transaction_survives_the_swap(backend, index_dir):
    backend.apply([doc(1, "旧文档")], [])
    conn = backend._files.connection()
    conn.execute("BEGIN")
    assert conn.execute("SELECT count(*) FROM docs").fetchone() == (1,)
    other = SqliteBackend(index_dir)
    try:
        other.rebuild([doc(2, "新文档"), doc(3, "新文档")])
        assert conn.execute("SELECT count(*) FROM docs").fetchone() == (1,)
        conn.execute("COMMIT")
        assert backend.document_count() == 2  # the next query reopens on the new file
    finally:
        other.close()


def test_apply_during_rebuild_waits_and_lands_in_the_new_generation(backend, index_dir):
    writer = SqliteBackend(index_dir)
    try:
        rebuild_with_late_apply(backend, writer, [doc(n, "文档") for n in range(1, 600)],
                                doc(9999, "迟到的文档"))
        assert keys(backend, "迟到") == ["article:9999"]
        assert backend.document_count() == 600
    finally:
        writer.close()


def test_apply_waits_for_another_writer(backend, index_dir):
    backend.apply([doc(1, "发票")], [])
    foreign = SqliteBackend(index_dir)._files.connection()
    foreign.execute("BEGIN IMMEDIATE")  # holds the write lock
    apply_waits_for(backend, lambda: foreign.execute("ROLLBACK"), doc(2, "退货"))
    assert keys(backend, "退货") == ["article:2"]


def test_stale_wal_after_a_killed_writer_still_opens(backend, index_dir):
    backend.apply([doc(1, "发票")], [])
    backend.close()
    result = run_python(
        "import os, signal, sys\n"
        "from search.sqlite_backend import SqliteBackend\n"
        "from search.backend import IndexDocument\n"
        "b = SqliteBackend(sys.argv[1])\n"
        "b.apply([IndexDocument(key='article:2', doc_type='article', doc_id=2,"
        " title='退货政策', body='')], [])\n"
        "conn = b._files.connection()\n"
        "conn.execute('BEGIN IMMEDIATE')\n"
        "conn.execute(\"DELETE FROM docs\")\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n",
        index_dir,
    )
    assert result.returncode == -signal.SIGKILL
    assert [p for p in os.listdir(index_dir) if p.endswith("-wal")]
    reopened = SqliteBackend(index_dir)
    try:
        assert reopened.document_count() == 2  # committed kept, uncommitted rolled back
        assert keys(reopened, "退货") == ["article:2"]
        reopened.apply([doc(3, "换货")], [])
        assert keys(reopened, "换货") == ["article:3"]
    finally:
        reopened.close()


def test_portal_selects_the_backend_by_configuration(tmp_path):
    app = create_app({**_app_config(tmp_path), "SEARCH_BACKEND": "sqlite"})
    assert isinstance(get_backend(app), SqliteBackend)
    with pytest.raises(ValueError, match="PORTAL_SEARCH_BACKEND"):
        create_app({**_app_config(tmp_path), "SEARCH_BACKEND": "lucene"})

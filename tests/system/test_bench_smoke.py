"""The benchmark scripts at a tiny size (they must keep working), and the ping route."""

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from bench._common import bench_app, corpus_root
from bench._vocab import query_set
from bench.corpus import build_corpus
from bench.search import run_benchmark
from portal.extensions import db
from portal.models import Article, Post, Topic
from tests import ROOT

TINY = 60


def _titles(data_dir: Path) -> list[str]:
    app = bench_app(data_dir, SECRET_KEY="test")
    with app.app_context():
        titles = db.session.scalars(select(Article.title).order_by(Article.slug)).all()
        titles += db.session.scalars(select(Topic.title).order_by(Topic.id)).all()
        db.engine.dispose()
    return titles


@pytest.fixture(scope="module")
def tiny_corpus(tmp_path_factory):
    """(base directory, manifest) of one tiny corpus shared by this module's tests."""
    base = tmp_path_factory.mktemp("corpus")
    return base, build_corpus(TINY, base=base, seed=5, progress=False)


def test_corpus_is_deterministic_and_uses_the_real_tables(tiny_corpus, tmp_path):
    """Same seed, same documents; articles, topics and replies land in the database."""
    base, first = tiny_corpus
    build_corpus(TINY, base=tmp_path / "b", seed=5, progress=False)
    data_a = corpus_root(TINY, base) / "data"
    titles = _titles(data_a)
    assert titles == _titles(corpus_root(TINY, tmp_path / "b") / "data")
    assert first["articles"] == 48 and first["topics"] == 12
    app = bench_app(data_a, SECRET_KEY="test")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Article)) == 48
        assert db.session.scalar(select(func.count()).select_from(Topic)) == 12
        replies = db.session.scalar(select(func.count()).select_from(Post)
                                    .where(Post.is_question.is_(False)))
        assert replies == first["replies"] > 0
        languages = set(db.session.scalars(select(Article.language)))
        assert "zh-CN" in languages
        db.engine.dispose()
    # A second call reuses the cached corpus instead of rebuilding it.
    assert build_corpus(TINY, base=base, seed=5, progress=False) == first


def test_search_benchmark_core_returns_sane_figures(tiny_corpus):
    """One backend plus both anchors over the tiny corpus: positive rates, ordered
    percentiles, CPU time per query."""
    from bench._common import percentiles

    queries = query_set()[:60]
    results, read_seconds = run_benchmark(corpus_root(TINY, tiny_corpus[0]) / "data", queries,
                                          backends=["tantivy"])
    assert read_seconds > 0
    assert [r.engine for r in results] == ["tantivy", "fts5-trigram (baseline)",
                                           "bm25s over jieba words (anchor)"]
    for result in results:
        assert result.docs == TINY and result.docs_per_s > 0
        assert len(result.samples) == len(result.cpu_ms) == len(queries)
        p50, p95, p99 = percentiles(result.latencies())
        assert 0 < p50 <= p95 <= p99
    tantivy = results[0]
    assert tantivy.zero_hit_share("zero-hit") == 1.0
    assert tantivy.zero_hit_share("1-word") < 1.0


def test_ping_answers_ok_without_touching_the_database(app, client):
    """GET /api/v1/ping is plain text "ok" and runs no SQL (load balancers poll it)."""
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get("/api/v1/ping")
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok"
    assert response.mimetype == "text/plain"
    assert statements == []


def test_http_hosts_benchmark_script_starts_and_explains_its_needs():
    """bench/http_hosts.py imports (it reuses bench/http.py's helpers) and --help names the
    services it needs and its corpus default."""
    script = ROOT / "bench" / "http_hosts.py"
    result = subprocess.run([sys.executable, str(script), "--help"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "default 2000" in result.stdout
    assert "PostgreSQL" in result.stdout and "Redis" in result.stdout

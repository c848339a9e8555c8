"""The benchmark scripts at a tiny size (they must keep working), and the ping route."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, func, select

from portal.extensions import db
from portal.models import Article, Post, Topic
from tests import ROOT

TINY = 60


def bench(*args: str, timeout: float = 600) -> str:
    """Run ``python -m bench.<args>`` from the repository root; its standard output."""
    result = subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result.stdout


def build(base: Path, *extra: str) -> tuple[str, dict]:
    """A tiny corpus under ``base``: the command's output and the manifest."""
    output = bench(
        "bench.corpus",
        "--size",
        str(TINY),
        "--seed",
        "5",
        "--base",
        str(base),
        "--no-progress",
        *extra,
    )
    return output, json.loads((base / f"corpus-{TINY}" / "manifest.json").read_text())


def _scalars(data_dir: Path, statement) -> list:
    engine = create_engine(f"sqlite:///{data_dir / 'portal.db'}")
    try:
        with engine.connect() as connection:
            return list(connection.scalars(statement))
    finally:
        engine.dispose()


def _titles(data_dir: Path) -> list[str]:
    return _scalars(data_dir, select(Article.title).order_by(Article.slug)) + _scalars(
        data_dir, select(Topic.title).order_by(Topic.id)
    )


@pytest.fixture(scope="module")
def tiny_corpus(tmp_path_factory):
    """(base directory, manifest) of one tiny corpus shared by this module's tests."""
    base = tmp_path_factory.mktemp("corpus")
    return base, build(base)[1]


def test_corpus_is_deterministic_and_uses_the_real_tables(tiny_corpus, tmp_path):
    """Same seed, same documents; articles, topics and replies land in the database."""
    base, first = tiny_corpus
    build(tmp_path / "b")
    data_a = base / f"corpus-{TINY}" / "data"
    assert _titles(data_a) == _titles(tmp_path / "b" / f"corpus-{TINY}" / "data")
    assert first["articles"] == 48 and first["topics"] == 12
    count = func.count()
    assert _scalars(data_a, select(count).select_from(Article)) == [48]
    assert _scalars(data_a, select(count).select_from(Topic)) == [12]
    replies = _scalars(data_a, select(count).select_from(Post).where(Post.is_question.is_(False)))
    assert replies == [first["replies"]] and first["replies"] > 0
    assert "zh-CN" in set(_scalars(data_a, select(Article.language)))
    # A second run reuses the cached corpus instead of rebuilding it.
    output, again = build(base)
    assert again == first and "reused from the cache" in output


def _row(table: str, first_cell: str) -> list[str]:
    match = re.search(rf"^\| {re.escape(first_cell)} \|(.*)\|$", table, re.MULTILINE)
    assert match, f"no row {first_cell!r} in:\n{table}"
    return [cell.strip() for cell in match.group(1).split("|")]


def _number(cell: str) -> float:
    return float(cell.rstrip("×").replace(",", ""))


def test_search_benchmark_returns_sane_figures(tiny_corpus, tmp_path):
    """One backend plus both anchors over the tiny corpus: positive rates, ordered
    percentiles; every query counted in the per-kind table."""
    out = tmp_path / "engines.md"
    bench(
        "bench.engines",
        "--size",
        str(TINY),
        "--base",
        str(tiny_corpus[0]),
        "--backend",
        "tantivy",
        "--queries",
        "60",
        "--markdown",
        str(out),
    )
    report = out.read_text(encoding="utf-8")
    assert f"- {TINY} documents read from the database" in report
    engines = ["tantivy", "fts5-trigram (baseline)", "bm25s over jieba words (anchor)"]
    summary = report.split("## Search latency per query kind")[0]
    assert re.findall(r"^\| ([^|]+?) \| [\d,]+ \|", summary, re.MULTILINE) == engines
    for engine in engines:
        docs_per_s, p50, p95, p99, cpu50, cpu95, _zero, _ratio = map(_number, _row(summary, engine))
        assert docs_per_s > 0 and 0 <= p50 <= p95 <= p99 and p99 > 0
        assert 0 <= cpu50 <= cpu95
    kinds = report.split("## Search latency per query kind")[1]
    tantivy = {
        kind: [cell.strip() for cell in rest.split("|")[:-1]]
        for kind, rest in re.findall(r"^\| tantivy \| ([^|]+?) \|(.*)$", kinds, re.MULTILINE)
    }
    assert sum(int(cells[0]) for cells in tantivy.values()) == 60
    assert _number(tantivy["zero-hit"][-1]) == 100.0
    assert _number(tantivy["1-word"][-1]) < 100.0


def test_search_benchmark_reuses_a_kept_index(tiny_corpus, tmp_path):
    """--keep-index builds the engine's index once and reuses it on the next run (no index
    time to report); --rounds times each query several times, every query still counted."""
    keep = tmp_path / "kept"
    args = ["--size", str(TINY), "--base", str(tiny_corpus[0]), "--backend", "tantivy"]
    args += ["--queries", "20", "--keep-index", str(keep), "--rounds", "2"]
    reports = []
    for run in ("first", "second"):
        out = tmp_path / f"{run}.md"
        bench("bench.engines", *args, "--markdown", str(out))
        reports.append(out.read_text(encoding="utf-8"))
    assert [path.name for path in keep.iterdir()] == [f"tantivy-{TINY}"]
    first, second = (_number(_row(report, "tantivy")[0]) for report in reports)
    assert first > 0 and second == 0
    for report in reports:
        kinds = report.split("## Search latency per query kind")[1]
        counts = re.findall(r"^\| tantivy \| [^|]+? \| (\d+) \|", kinds, re.MULTILINE)
        assert sum(map(int, counts)) == 20
        assert "each timed 2 times" in report


def test_reindex_benchmark_reports_rate_and_cpu(tiny_corpus, tmp_path):
    """bench.reindex rebuilds a copy of the tiny corpus (the corpus itself untouched) and
    reports every document, a positive rate and CPU time."""
    out = tmp_path / "reindex.md"
    data = tiny_corpus[0] / f"corpus-{TINY}" / "data"
    before = sorted(path.name for path in data.iterdir())
    bench(
        "bench.reindex", "--size", str(TINY), "--base", str(tiny_corpus[0]), "--markdown", str(out)
    )
    report = out.read_text(encoding="utf-8")
    assert _row(report, "documents") == [str(TINY)]
    assert _number(_row(report, "wall")[0].split("= ")[1].split()[0]) > 0
    assert "ms/doc" in _row(report, "CPU (command + its workers)")[0]
    assert sorted(path.name for path in data.iterdir()) == before


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
    """bench.http_hosts imports (it reuses bench.http_load's helpers) and --help names the
    services it needs and its corpus default."""
    output = bench("bench.http_hosts", "--help", timeout=60)
    assert "default 2000" in output
    assert "PostgreSQL" in output and "Redis" in output


def test_in_process_route_benchmark_times_every_search(tiny_corpus, tmp_path):
    """bench.http_load --in-process-only: the ping, HTML and JSON search routes through the
    test client on an indexed copy of the corpus, every query answered 200 and timed."""
    base = tmp_path / "base"
    (base / f"corpus-{TINY}").mkdir(parents=True)
    (base / f"corpus-{TINY}" / "data").symlink_to(tiny_corpus[0] / f"corpus-{TINY}" / "data")
    out = tmp_path / "http.md"
    bench(
        "bench.http_load",
        "--size",
        str(TINY),
        "--base",
        str(base),
        "--in-process-only",
        "--timed",
        "1",  # each benchmark query once, not 400 requests a route
        "--markdown",
        str(out),
    )
    report = out.read_text(encoding="utf-8")
    assert "in-process (Flask test client)" in report
    for route in ("GET /api/v1/ping (hello)", "GET /api/v1/search?q=… (JSON)"):
        requests, p50, p95, cpu50, cpu95 = map(_number, _row(report, route))
        assert requests >= 1 and 0 < p50 <= p95 and 0 <= cpu50 <= cpu95
    searches = _number(_row(report, "GET /search?q=… (HTML)")[0])
    assert searches > 100  # the whole benchmark query set

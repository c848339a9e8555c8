"""Search engine benchmark: indexing throughput and in-process query latency per backend.

Run:  .venv/bin/python -m bench.engines --size 10000 [--profile] [--markdown FILE]
          [--keep-index DIR] [--rounds N]

Every name in portal.indexing.backend.BACKENDS is built through the app's own factory on a
fresh temporary data directory, from IndexDocuments read once from the corpus database.
Two anchors in the same run: SQLite FTS5 with the trigram tokenizer (bench/_fts5.py, the
ratio's baseline) and BM25 over jieba words with bm25s (bench/_bm25_anchor.py).
The postgres engine indexes into a throwaway database (bench/_postgres.py), dropped
afterwards; it is skipped with a printed line when no PostgreSQL server answers."""

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from bench._bm25_anchor import JiebaBM25Anchor
from bench._common import (
    CACHE,
    EngineResult,
    bench_app,
    corpus_root,
    emit,
    fmt,
    kind_rows,
    markdown_table,
    summary_rows,
)
from bench._fts5 import TrigramBaseline, short_word_share
from bench._postgres import engine_configs
from bench._vocab import BenchQuery, query_set

WARMUP = 40
# The columns of bench._common's summary_rows and kind_rows between their own first and last.
TIMING_COLUMNS = ("p50 ms", "p95 ms", "p99 ms", "CPU p50 ms", "CPU p95 ms", "zero-hit %")
BASELINE = "fts5-trigram (baseline)"


def load_documents(app) -> tuple[list, float]:
    """Every searchable document, through the registered sources; (documents, seconds)."""
    from portal.indexing.documents import all_sources

    started = time.perf_counter()
    with app.app_context():
        docs = [doc for source in all_sources() for doc in source.iter_all()]
    return docs, time.perf_counter() - started


def category_ids(app) -> dict[str, int]:
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import Category

    with app.app_context():
        return {c.slug: c.id for c in db.session.scalars(select(Category))}


def time_queries(
    search: Callable[[BenchQuery], int],
    queries: list[BenchQuery],
    profile_to: Path | None = None,
    cpu_ms: list[float] | None = None,
    rounds: int = 1,
) -> list[tuple[str, float, int]]:
    """Warm up, then time each query ``rounds`` times and keep its medians: [(kind,
    milliseconds, hit count)]; each query's CPU milliseconds (this thread's, so other
    processes' load does not count) go to ``cpu_ms``."""
    for query in queries[:WARMUP]:
        search(query)
    profiler = None
    if profile_to is not None:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
    samples = []
    for query in queries:
        wall, cpu = [], []
        for _ in range(rounds):
            started, cpu_started = time.perf_counter(), time.thread_time()
            hits = search(query)
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.thread_time() - cpu_started) * 1000)
        samples.append((query.kind, statistics.median(wall), hits))
        if cpu_ms is not None:
            cpu_ms.append(statistics.median(cpu))
    if profiler is not None:
        profiler.stop()
        write_profile(profiler, profile_to)
    return samples


def write_profile(profiler, path: Path) -> None:
    """HTML and text profiles next to each other, and the heaviest frames on the terminal."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.with_suffix(".html").write_text(profiler.output_html(), encoding="utf-8")
    path.with_suffix(".txt").write_text(profiler.output_text(color=False), encoding="utf-8")
    totals: dict[str, float] = {}
    stack = [profiler.last_session.root_frame()]
    while stack:
        frame = stack.pop()
        if frame is None or frame.is_synthetic:  # "[self]" leaves: counted in the parent
            continue
        own = frame.time - sum(c.time for c in frame.children if not c.is_synthetic)
        where = f"{frame.function}  {frame.file_path_short}:{frame.line_no}"
        totals[where] = totals.get(where, 0.0) + own
        stack.extend(frame.children)
    total = sum(totals.values()) or 1.0
    print(f"\nprofile written to {path.with_suffix('.html')} and .txt; top frames by own time:")
    for where, seconds in sorted(totals.items(), key=lambda item: -item[1])[:15]:
        print(f"  {seconds / total:6.1%}  {seconds:7.3f} s  {where}")


def bench_backend(
    name: str,
    data_dir: Path,
    docs: list,
    queries: list[BenchQuery],
    workdir: Path,
    profile_to: Path | None = None,
    config: dict | None = None,
    keep_index: Path | None = None,
    rounds: int = 1,
) -> EngineResult:
    """Rebuild ``name`` from ``docs`` on a copy of the database, then time the queries.
    With ``keep_index``, the index lives in keep_index/<name>-<documents> and is reused
    when it holds as many documents (index time 0: not measured)."""
    from portal.indexing.backend import close_backend, get_backend

    own_dir = workdir / name
    own_dir.mkdir()
    shutil.copy(data_dir / "portal.db", own_dir / "portal.db")  # a backend may write to it
    index_dir = keep_index / f"{name}-{len(docs)}" if keep_index else own_dir / "index"
    app = bench_app(
        own_dir,
        SEARCH_BACKEND=name,
        SEARCH_INDEX_DIR=str(index_dir),
        SECRET_KEY="bench",
        **(config or {}),
    )
    ids = category_ids(app)
    with app.app_context():
        backend = get_backend(app)
        index_seconds = 0.0
        if keep_index is None or backend.document_count() != len(docs):
            started = time.perf_counter()
            backend.rebuild(iter(docs))
            index_seconds = time.perf_counter() - started

        def search(query: BenchQuery) -> int:
            return backend.search(query.request(ids)).total

        cpu_ms: list[float] = []
        samples = time_queries(search, queries, profile_to, cpu_ms, rounds)
        close_backend(app)
    return EngineResult(name, len(docs), index_seconds, samples, cpu_ms)


def run_benchmark(
    data_dir: Path,
    queries: list[BenchQuery],
    backends=None,
    baseline: bool = True,
    profile_dir: Path | None = None,
    keep_index: Path | None = None,
    rounds: int = 1,
) -> tuple[list[EngineResult], float]:
    """Every backend (default: all of BACKENDS) plus the baseline; returns the results and
    the seconds spent reading documents from the database."""
    from portal.indexing.backend import BACKENDS

    app = bench_app(data_dir, SECRET_KEY="bench")
    docs, read_seconds = load_documents(app)
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-search-") as workdir, ExitStack() as stack:
        configs = engine_configs(list(backends or BACKENDS), stack)
        for name, config in configs.items():
            profile_to = profile_dir / f"profile-search-{name}" if profile_dir else None
            results.append(
                bench_backend(
                    name,
                    data_dir,
                    docs,
                    queries,
                    Path(workdir),
                    profile_to,
                    config,
                    keep_index,
                    rounds,
                )
            )
        if baseline:
            fts = TrigramBaseline(Path(workdir) / "fts5.db", category_ids(app))
            index_seconds = fts.build(docs)
            cpu_ms = []
            results.append(
                EngineResult(
                    BASELINE,
                    len(docs),
                    index_seconds,
                    time_queries(fts.search, queries, cpu_ms=cpu_ms, rounds=rounds),
                    cpu_ms,
                )
            )
            fts.close()
            anchor = JiebaBM25Anchor()
            index_seconds = anchor.build(docs)
            cpu_ms = []
            results.append(
                EngineResult(
                    "bm25s over jieba words (anchor)",
                    len(docs),
                    index_seconds,
                    time_queries(anchor.search, queries, cpu_ms=cpu_ms, rounds=rounds),
                    cpu_ms,
                )
            )
    return results, read_seconds


def main(argv: list[str] | None = None) -> None:
    from portal.indexing.backend import BACKENDS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--profile", action="store_true", help="pyinstrument the query loop")
    parser.add_argument("--markdown", type=Path, help="append the tables to this file")
    parser.add_argument(
        "--base",
        type=Path,
        default=CACHE,
        help="where corpus-<size>/ is kept (default bench/.cache)",
    )
    parser.add_argument(
        "--backend",
        action="append",
        choices=BACKENDS,
        help="only this engine (repeatable; default: every one)",
    )
    parser.add_argument("--queries", type=int, help="only the first N queries of the set")
    parser.add_argument(
        "--keep-index",
        type=Path,
        help="keep each engine's index in DIR/<engine>-<documents> and reuse it when it holds "
        "that many documents (delete it when the corpus or the index format changes)",
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="time each query N times and keep its medians"
    )
    args = parser.parse_args(argv)
    data_dir = corpus_root(args.size, args.base) / "data"
    if not (data_dir / "portal.db").exists():
        sys.exit(f"no corpus at {data_dir}: run python -m bench.corpus --size {args.size} first")
    queries = query_set()[: args.queries]
    results, read_seconds = run_benchmark(
        data_dir,
        queries,
        backends=args.backend,
        profile_dir=CACHE / f"size-{args.size}" if args.profile else None,
        keep_index=args.keep_index,
        rounds=max(1, args.rounds),
    )
    docs = results[0].docs
    notes = [
        f"{docs:,} documents read from the database once in {read_seconds:.1f} s "
        f"({fmt(docs / read_seconds, 0)} docs/s), not counted in the index figures",
        f"{len(queries)} queries after {WARMUP} warm-up queries, top 10 per query, one thread"
        + (f", each timed {args.rounds} times (its median kept)" if args.rounds > 1 else ""),
        "ratio = engine p50 / baseline p50 (below 1 means faster than the baseline)",
        "baseline: raw title+body in FTS5 trigram, each query word as a quoted MATCH string; "
        "words under 3 characters (most 2-character Chinese words) cannot match, so such "
        f"queries find nothing: {short_word_share(queries):.0%} of the query set",
    ]
    if args.keep_index:
        notes.append(f"indexes kept in {args.keep_index}: a reused one shows 0 index docs/s")
    emit(
        f"Search engines: {args.size:,}-document corpus",
        markdown_table(
            ["engine", "index docs/s", *TIMING_COLUMNS, "ratio vs baseline"],
            summary_rows(results, BASELINE),
        ),
        notes,
        args.markdown,
    )
    emit(
        "Search latency per query kind",
        markdown_table(
            ["engine", "kind", "queries", *TIMING_COLUMNS],
            kind_rows(results),
        ),
        [],
        args.markdown,
    )


if __name__ == "__main__":
    main()

"""PostgreSQL engine latency on a persistent index: build it once, time the query set often.

Run:  .venv/bin/python -m bench.postgres_latency --size 100000 --build   (once: ~10 min)
      .venv/bin/python -m bench.postgres_latency --size 100000 [--explain 3] [--markdown F]

bench.engines builds every engine afresh in a throwaway database, which at 100,000
documents takes longer than the measurement itself. Here --build (re)creates the database
--database on the server of bench/_postgres.py and fills the engine's table from the
corpus; later runs only search it, with the same query set and warm-up as bench.engines.
Besides the wall time, each query's server CPU time (the search connection's backend
process, from /proc/<pid>/schedstat, where the server runs on this machine): on a
loaded machine the wall time is mostly waiting for a core. --explain N prints
EXPLAIN (ANALYZE, BUFFERS) of the candidates statement of the N slowest queries."""

import argparse
import sys
import time
from pathlib import Path

import psycopg
from psycopg import sql as pgsql
from sqlalchemy.engine import make_url

from bench._common import CACHE, bench_app, corpus_root, emit, fmt, markdown_table, percentiles
from bench._postgres import _libpq, server_url
from bench._vocab import query_set
from bench.engines import WARMUP, category_ids, load_documents


def database_url(name: str) -> str:
    return make_url(_libpq(server_url())).set(database=name).render_as_string(False)


def build(data_dir: Path, name: str) -> None:
    """Drop and create database ``name`` and rebuild the engine's table from the corpus."""
    from search.postgres.backend import PostgresBackend

    docs, seconds = load_documents(bench_app(data_dir, SECRET_KEY="bench"))
    print(f"{len(docs):,} documents read in {seconds:.0f} s", flush=True)
    with psycopg.connect(_libpq(server_url()), autocommit=True) as admin:
        ident = pgsql.Identifier(name)
        admin.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
        admin.execute(pgsql.SQL("CREATE DATABASE {}").format(ident))
    backend = PostgresBackend(database_url(name))
    started = time.perf_counter()
    backend.rebuild(iter(docs))
    print(f"index built in {time.perf_counter() - started:.0f} s (RUM: {backend.uses_rum})")
    backend.close()


class StatementLog:
    """The statements the backend runs, with their parameters (psycopg's execute wrapped)."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, object]] = []
        self._execute = psycopg.Connection.execute
        log = self

        def execute(conn, query, params=None, **kwargs):
            log.entries.append((str(query), params))
            return log._execute(conn, query, params, **kwargs)

        psycopg.Connection.execute = execute

    def candidates(self) -> tuple[str, object] | None:
        return next((e for e in self.entries if e[0].lstrip().startswith("WITH")), None)


def server_cpu_ms(pid: int) -> float | None:
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e6
    except (OSError, ValueError, IndexError):
        return None


def run(data_dir: Path, name: str, explain: int, markdown: Path | None) -> None:
    from search.postgres.backend import PostgresBackend

    ids = category_ids(bench_app(data_dir, SECRET_KEY="bench"))
    backend = PostgresBackend(database_url(name))
    queries = query_set()

    def search(query):
        return backend.search(query.request(ids))

    for query in queries[:WARMUP]:
        search(query)
    pid = backend._connections.get().info.backend_pid
    log = StatementLog()
    samples = []  # (query, wall ms, server CPU ms or None, candidates statement)
    for query in queries:
        log.entries.clear()
        cpu, started = server_cpu_ms(pid), time.perf_counter()
        search(query)
        wall = (time.perf_counter() - started) * 1000
        after = server_cpu_ms(pid)
        samples.append((query, wall, None if cpu is None else after - cpu, log.candidates()))
    rows = []
    for kind in [*sorted({q.kind for q, *_ in samples}), None]:
        chosen = [s for s in samples if kind in (None, s[0].kind)]
        wall = percentiles([s[1] for s in chosen])
        cpus = [s[2] for s in chosen if s[2] is not None]
        cpu = percentiles(cpus) if cpus else None
        rows.append(
            [kind or "all", len(chosen), fmt(wall[0]), fmt(wall[1])]
            + ([fmt(cpu[0]), fmt(cpu[1])] if cpu else ["—", "—"])
        )
    emit(
        f"PostgreSQL engine on a persistent index: database {name}",
        markdown_table(
            ["kind", "queries", "p50 ms", "p95 ms", "server CPU p50 ms", "server CPU p95 ms"],
            rows,
        ),
        [
            f"{len(queries)} queries of bench.engines' set after {WARMUP} warm-up ones, "
            "top 10, one thread; server CPU from /proc/<backend pid>/schedstat",
        ],
        markdown,
    )
    conn = backend._connections.get()
    for query, wall, _cpu, statement in sorted(samples, key=lambda s: -s[1])[:explain]:
        if statement is None:
            continue
        print(f"\n== {wall:.1f} ms  {query.kind}  {query.text!r}")
        for (line,) in log._execute(
            conn, "EXPLAIN (ANALYZE, BUFFERS) " + statement[0], statement[1]
        ):
            print(line)
    backend.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--base", type=Path, default=CACHE)
    parser.add_argument("--database", help="default: portal_bench_pg_<size>")
    parser.add_argument("--build", action="store_true", help="(re)build the index first")
    parser.add_argument("--explain", type=int, default=0, metavar="N")
    parser.add_argument("--markdown", type=Path, help="append the table to this file")
    args = parser.parse_args(argv)
    data_dir = corpus_root(args.size, args.base) / "data"
    if not (data_dir / "portal.db").exists():
        sys.exit(f"no corpus at {data_dir}: run python -m bench.corpus --size {args.size} first")
    name = args.database or f"portal_bench_pg_{args.size}"
    if args.build:
        build(data_dir, name)
    run(data_dir, name, args.explain, args.markdown)


if __name__ == "__main__":
    main()

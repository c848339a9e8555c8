"""HTTP benchmark of the multi-host setup: one and two gunicorn hosts on PostgreSQL + Redis.

Run:  .venv/bin/python -m bench.http_hosts [--size 2000] [--seconds 15] [--markdown FILE]

Copies the SQLite corpus of bench/corpus.py (built first if missing; 2,000 documents take a
few minutes, the 10,000 corpus ~25 minutes on the 2-core bench machine) into a throwaway
PostgreSQL database, indexes it with the PostgreSQL search backend, then measures the routes
of bench/http_load.py on one host (gunicorn -w 2) and on two hosts (two gunicorn -w 2, separate
data directories, the same database, Redis and secret key; each new client connection goes
to the next host). Finally an editor publishes on host A while host B is polled."""

import argparse
import os
import shutil
import sys
import uuid
from pathlib import Path

from bench._common import CACHE, emit, fmt, markdown_table
from bench._hosts_pg import copy_rows, migrate, psycopg_url
from bench._http_publish import publish_and_poll
from bench._postgres import server_url, throwaway_database, unavailable_reason
from bench.http_load import (
    THREADS,
    WORKERS,
    free_port,
    gunicorn,
    index_and_add_editor,
    measure,
    routes,
    rss_lines,
    wait_healthy,
)

# Database 12: not one the test suite flushes (0, 13 and 14 are theirs).
REDIS_ENV = "PORTAL_BENCH_REDIS_URL"
DEFAULT_REDIS = "redis://127.0.0.1:6379/12"


def redis_reason(url: str) -> str | None:
    """None when Redis answers at ``url`` (and its database is emptied), else why not."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=3)
        client.flushdb()  # no caches left over from a run on another database
        client.close()
        return None
    except redis.RedisError as exc:
        return f"no Redis at {url} (set {REDIS_ENV} or --redis-url): {exc}"


def prepare_database(size: int, url: str, setup_dir: Path, env: dict) -> tuple[int, float]:
    """Migrate the empty database, copy the corpus in, index it and add the editor;
    returns (rows copied, reindex seconds)."""
    from bench._common import corpus_root
    from bench.corpus import build_corpus

    build_corpus(size)  # reused from bench/.cache when it exists
    migrate(url, setup_dir)
    rows = copy_rows(corpus_root(size) / "data" / "portal.db", url)
    return rows, index_and_add_editor({**env, "PORTAL_DATA_DIR": str(setup_dir)})


def host_envs(base: Path, url: str, redis_url: str) -> list[dict]:
    """The environments of hosts A and B: own data directories, everything else shared."""
    shared = {
        **os.environ,
        "PORTAL_DATABASE_URL": url,
        "PORTAL_SEARCH_BACKEND": "postgres",
        "PORTAL_REDIS_URL": redis_url,
        "SECRET_KEY": "bench-hosts-" + uuid.uuid4().hex,
        "PORTAL_RATE_LIMITS_ENABLED": "0",
        "PYTHONUNBUFFERED": "1",
    }
    envs = []
    for name in ("a", "b"):
        (base / name).mkdir(parents=True, exist_ok=True)
        envs.append({**shared, "PORTAL_DATA_DIR": str(base / name)})
    return envs


def run(seconds: float, envs: list[dict], base: Path) -> tuple[list[list], list[str]]:
    """Every route on host A alone, then on A and B together, then cross-host freshness;
    returns (table rows, notes)."""
    ports = [free_port(), free_port()]
    one: dict[str, tuple] = {}
    rows, floor = [], None
    with gunicorn(envs[0], ports[0], base / "a" / "gunicorn.log") as server_a:
        wait_healthy(ports[0])
        for name, paths in routes():
            one[name] = figures = measure(ports[0], paths, seconds)
            floor = floor or figures[0]
            rows.append(_row("one host", name, figures, floor, ""))
            print(f"one host, {name}: {figures[0]:.1f} req/s")
        with gunicorn(envs[1], ports[1], base / "b" / "gunicorn.log") as server_b:
            wait_healthy(ports[1])
            for name, paths in routes():
                figures = measure(ports, paths, seconds)
                rows.append(
                    _row("two hosts", name, figures, floor, f"{figures[0] / one[name][0]:.2f}")
                )
                print(f"two hosts, {name}: {figures[0]:.1f} req/s")
            memory = [
                f"host {host}: " + "; ".join(rss_lines(server.pid))
                for host, server in (("A", server_a), ("B", server_b))
            ]
            freshness = publish_and_poll(ports[0], poll_port=ports[1])
    return rows, [
        "cross-host freshness, published on host A, polled on host B: " + freshness,
        "RSS after the run: " + " | ".join(memory),
    ]


def _row(setup: str, route: str, figures: tuple, floor: float, ratio: str) -> list:
    rate, p50, p95, errors = figures
    return [
        setup,
        route,
        fmt(rate, 1),
        f"{rate / floor:.3f}",
        fmt(p50, 1),
        fmt(p95, 1),
        errors,
        ratio,
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="Needs a PostgreSQL server (PORTAL_TEST_DATABASE_URL, default the local one; "
        "a throwaway database is created and dropped) and Redis (PORTAL_BENCH_REDIS_URL, "
        f"default {DEFAULT_REDIS}; that database is emptied). Building the corpus "
        "takes a few minutes at 2,000 documents, ~25 minutes at 10,000.",
    )
    parser.add_argument(
        "--size",
        type=int,
        default=2_000,
        help="corpus size (default 2000; 10000 takes ~25 min to build)",
    )
    parser.add_argument("--seconds", type=float, default=15.0, help="load per route and setup")
    parser.add_argument("--redis-url", default=os.environ.get(REDIS_ENV) or DEFAULT_REDIS)
    parser.add_argument("--markdown", type=Path, help="append the table to this file")
    args = parser.parse_args()
    reason = unavailable_reason() or redis_reason(args.redis_url)
    if reason:
        sys.exit(reason)
    base = CACHE / f"hosts-{args.size}"
    shutil.rmtree(base, ignore_errors=True)
    with throwaway_database("portal_bench_hosts") as raw_url:
        url = psycopg_url(raw_url)
        envs = host_envs(base, url, args.redis_url)
        copied, reindex_seconds = prepare_database(args.size, url, base / "setup", envs[0])
        rows, notes = run(args.seconds, envs, base)
    notes = [
        f'both "hosts" run on this one machine and share its {os.cpu_count()} cores (and '
        "the PostgreSQL and Redis servers): two hosts cannot double throughput here; the "
        "two/one column shows the overhead and behaviour of the shared-state setup, not "
        f"scaling (two hosts also mean {2 * WORKERS} worker processes instead of {WORKERS}: "
        "searches wait on PostgreSQL, so more workers can overlap that wait on the same cores)",
        f"each host: gunicorn -w {WORKERS} sync workers with its own data directory; shared: "
        "PORTAL_DATABASE_URL (PostgreSQL), PORTAL_SEARCH_BACKEND=postgres, PORTAL_REDIS_URL, "
        f"SECRET_KEY; {THREADS} client threads, {args.seconds:g} s per route after a short "
        "warm-up; with two hosts each new connection goes to the next host (round robin)",
        "rate limits off (PORTAL_RATE_LIMITS_ENABLED=0), else the per-IP limits throttle the "
        "load; router scheduler at its default interval",
        f"data: the SQLite corpus copied into a throwaway database on "
        f"{_where(server_url())} ({copied:,} rows), indexed by `flask search reindex` with "
        f"the postgres backend in {reindex_seconds:.1f} s",
        *notes,
    ]
    emit(
        f"HTTP on one and two hosts (PostgreSQL + Redis): {args.size:,}-document corpus",
        markdown_table(
            [
                "setup",
                "route",
                "req/s",
                "ratio vs one-host ping",
                "p50 ms",
                "p95 ms",
                "errors",
                "two/one hosts",
            ],
            rows,
        ),
        notes,
        args.markdown,
    )


def _where(url: str) -> str:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return f"PostgreSQL at {parsed.host or 'localhost'}:{parsed.port or 5432}"


if __name__ == "__main__":
    main()

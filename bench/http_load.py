"""HTTP benchmark: the real portal under gunicorn (2 workers) on a copy of the corpus.

Run:  .venv/bin/python -m bench.http_load --size 10000 [--seconds 15] [--markdown FILE]

Builds the index with `flask search reindex`, starts gunicorn, then for each route runs 8
client threads (keep-alive http.client connections) for --seconds: the ping route (the
floor), the HTML search page and the JSON search API over the benchmark query set. Then it
publishes an article through the editor form and polls until every worker finds it."""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from contextlib import contextmanager
from itertools import count
from pathlib import Path
from urllib.parse import urlencode

from bench._common import CACHE, ROOT, corpus_root, emit, fmt, markdown_table, percentiles
from bench._http_publish import EDITOR_EMAIL, EDITOR_PASSWORD, publish_and_poll
from bench._inprocess import TIMED, bench_routes
from bench._vocab import query_set

BIN = Path(sys.executable).parent
THREADS = 8
WORKERS = 2


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def prepare_data_dir(size: int, base: Path = CACHE) -> tuple[dict, float]:
    """A fresh copy of the corpus data directory, indexed, with an editor account;
    returns (environment for the portal's processes, reindex seconds)."""
    target = base / f"http-{size}" / "data"
    shutil.rmtree(target.parent, ignore_errors=True)
    shutil.copytree(corpus_root(size, base) / "data", target)
    # Without this the per-IP limits (api.* 120/minute) would throttle the load to 429s.
    env = {
        **os.environ,
        "PORTAL_DATA_DIR": str(target),
        "PYTHONUNBUFFERED": "1",
        "PORTAL_RATE_LIMITS_ENABLED": "0",
    }
    return env, index_and_add_editor(env)


def index_and_add_editor(env: dict) -> float:
    """`flask db upgrade` (the cached corpus may predate the code's migrations), `flask
    search reindex`, then the editor account publish_and_poll logs in as, in the database
    ``env`` points at; returns the reindex seconds."""
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True)
    started = time.perf_counter()
    subprocess.run([*flask, "search", "reindex"], cwd=ROOT, env=env, check=True)
    reindex_seconds = time.perf_counter() - started
    subprocess.run(
        [
            *flask,
            "users",
            "create",
            EDITOR_EMAIL,
            "--role",
            "editor",
            "--password",
            EDITOR_PASSWORD,
        ],
        cwd=ROOT,
        env=env,
        check=True,
    )
    return reindex_seconds


@contextmanager
def gunicorn(env: dict, port: int, log: Path = CACHE / "gunicorn.log"):
    """Run gunicorn until the block ends (also on Ctrl-C): SIGTERM, then wait for it."""
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", str(WORKERS), "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env=env,
        start_new_session=True,  # our Ctrl-C is ours to pass on cleanly
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )
    try:
        yield server
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def wait_healthy(port: int, timeout: float = 120.0) -> None:
    import http.client

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the portal did not become healthy on port {port}")


def load(
    ports: int | Sequence[int], paths: list[str], seconds: float
) -> tuple[int, int, list[float]]:
    """THREADS clients, each on its own keep-alive connection, cycling through ``paths``
    until ``seconds`` pass; returns (requests, errors, latencies in ms). With several
    ports each new connection goes to the next one, as a round-robin load balancer does."""
    import http.client

    ports = [ports] if isinstance(ports, int) else list(ports)
    turns = count()  # next() on it is atomic under the GIL: a shared round-robin counter
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def connect() -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", ports[next(turns) % len(ports)], timeout=60)

    def client(offset: int) -> None:
        connection = connect()
        mine, failed, index = [], 0, offset
        while time.monotonic() < deadline:
            path = paths[index % len(paths)]
            index += THREADS
            started = time.perf_counter()
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                connection.close()  # reconnects on the next request
                ok = False
            if ok:
                mine.append((time.perf_counter() - started) * 1000)
            else:
                failed += 1
            if connection.sock is None:  # the server closed it (sync workers always do)
                connection = connect()
        connection.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=client, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies) + errors[0], errors[0], latencies


def measure(
    ports: int | Sequence[int], paths: list[str], seconds: float
) -> tuple[float, float, float, int]:
    """A short warm-up (imports, caches, scheduler), then load() for ``seconds``;
    returns (successful req/s, p50 ms, p95 ms, errors)."""
    load(ports, paths, min(3.0, seconds))
    requests, errors, latencies = load(ports, paths, seconds)
    p50, p95, _p99 = percentiles(latencies)
    return (requests - errors) / seconds, p50, p95, errors


def search_paths(prefix: str) -> list[str]:
    """The mixed query set as URLs with the search form's filter parameters."""
    paths = []
    for query in query_set():
        params = {
            "q": query.text,
            "type": query.doc_type,
            "category": query.category,
            "lang": query.language,
        }
        paths.append(prefix + "?" + urlencode({k: v for k, v in params.items() if v}))
    return paths


def rss_lines(master_pid: int) -> list[str]:
    """VmRSS of the gunicorn master and each of its workers; for a worker also its
    anonymous part (its own heap, and what it shares with the master since the fork): the
    rest is mapped files, mostly the search index's pages, which every worker maps from
    the same page cache."""

    def rss(pid: int) -> str:
        fields = {}
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
            name, value = line.split(":", 1)
            fields[name] = int(value.split()[0]) / 1024
        return f"{fields['Rss']:.0f} MiB (anonymous {fields['Anonymous']:.0f})"

    lines = [f"gunicorn master (pid {master_pid}): {rss(master_pid)}"]
    lines += [f"worker (pid {pid}): {rss(pid)}" for pid in _workers(master_pid)]
    return lines


def routes() -> list[tuple[str, list[str]]]:
    """(row name, paths) of the routes measured: the floor first, then the two searches."""
    return [
        ("GET /api/v1/ping (hello)", ["/api/v1/ping"]),
        ("GET /search?q=… (HTML)", search_paths("/search")),
        ("GET /api/v1/search?q=… (JSON)", search_paths("/api/v1/search")),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--markdown", type=Path, help="append the table to this file")
    parser.add_argument(
        "--base", type=Path, default=CACHE, help="where corpus-<size>/ is kept (bench/.cache)"
    )
    parser.add_argument(
        "--in-process-only", action="store_true", help="the test-client table, no gunicorn"
    )
    parser.add_argument(
        "--timed",
        type=int,
        default=TIMED,
        help=f"test-client requests timed per route, at least each path once (default {TIMED})",
    )
    args = parser.parse_args()
    if not (corpus_root(args.size, args.base) / "data" / "portal.db").exists():
        sys.exit(f"no corpus: run python -m bench.corpus --size {args.size} first")
    env, reindex_seconds = prepare_data_dir(args.size, args.base)
    in_process = bench_routes(Path(env["PORTAL_DATA_DIR"]), routes(), args.timed)
    if not args.in_process_only:
        serve_and_measure(args, env, reindex_seconds)
    emit_in_process(args, in_process)


def _workers(master_pid: int) -> list[int]:
    path = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    return [int(pid) for pid in path.read_text().split()]


def settle(port: int, master_pid: int, timeout: float = 180.0) -> float:
    """Search on every route, then wait until no worker has a child: from
    LOOKUPS_APART_FROM documents a worker builds its did-you-mean and autocomplete lookups
    in a child process after its first searches (portal/searching/apart.py), and timing
    the routes meanwhile measures that build. Returns the seconds waited."""
    started = time.monotonic()
    for _name, paths in routes():
        load(port, paths, 1.0)
    load(port, ["/search/autocomplete?q=tuih"], 1.0)
    quiet = 0
    while quiet < 3 and time.monotonic() - started < timeout:
        busy = any(_workers(worker) for worker in _workers(master_pid))
        quiet = 0 if busy else quiet + 1
        time.sleep(1.0)
    return time.monotonic() - started


def serve_and_measure(args: argparse.Namespace, env: dict, reindex_seconds: float) -> None:
    """The routes under gunicorn, RSS, and the publish-to-searchable poll: one table."""
    port = free_port()
    rows, floor = [], None
    with gunicorn(env, port) as server:
        wait_healthy(port)
        settled = settle(port, server.pid)
        for name, paths in routes():
            rate, p50, p95, errors = measure(port, paths, args.seconds)
            floor = floor or rate
            rows.append(
                [name, fmt(rate, 1), f"{rate / floor:.3f}", fmt(p50, 1), fmt(p95, 1), errors]
            )
            print(f"{name}: {rate:.1f} req/s, p50 {p50:.1f} ms, p95 {p95:.1f} ms")
        memory = rss_lines(server.pid)
        publish = publish_and_poll(port)
    notes = [
        f"gunicorn -w {WORKERS} (sync workers: they close each connection, so the "
        f"clients reconnect), {THREADS} client threads, {args.seconds:g} s per route "
        "after a short warm-up; every search writes its SearchLog row as in production; "
        "rate limits off (PORTAL_RATE_LIMITS_ENABLED=0)",
        f"index built first with `flask search reindex`: {reindex_seconds:.1f} s",
        f"before timing, every route searched once and the workers' did-you-mean and "
        f"autocomplete lookups built (no worker child left): {settled:.0f} s",
        "RSS after the run: " + "; ".join(memory),
        publish,
    ]
    emit(
        f"HTTP under gunicorn: {args.size:,}-document corpus",
        markdown_table(["route", "req/s", "ratio vs hello", "p50 ms", "p95 ms", "errors"], rows),
        notes,
        args.markdown,
    )


def emit_in_process(args: argparse.Namespace, in_process: list[list]) -> None:
    """The test-client table (bench/_inprocess.py)."""
    emit(
        f"The same routes in-process (Flask test client): {args.size:,}-document corpus",
        markdown_table(
            ["route", "requests", "p50 ms", "p95 ms", "CPU p50 ms", "CPU p95 ms"],
            [[name, n, *(fmt(v, 2) for v in figures)] for name, n, *figures in in_process],
        ),
        [
            "one request at a time after a warm-up, logging included (every search writes "
            "and commits its SearchLog row); CPU is this thread's, so other processes' load "
            "does not count; the index and data are the ones gunicorn serves above"
        ],
        args.markdown,
    )


if __name__ == "__main__":
    main()

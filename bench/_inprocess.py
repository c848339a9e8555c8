"""The search routes through the Flask test client, in this process: routing, the search,
the SearchLog row and its commit, JSON or the template, but no network and no gunicorn.

What the issue's "/api/v1/search through the Flask test client (logging included)" asks
for, and the floor the HTTP figures are read against: per request, wall and CPU
milliseconds (this thread's CPU, so other processes' load does not count)."""

import time
from pathlib import Path

from bench._common import percentiles

WARMUP = 40  # requests per route before timing: imports, caches, the first searches
TIMED = 400  # requests timed per route, cycling through its paths


def bench_routes(
    data_dir: Path, routes: list[tuple[str, list[str]]], timed: int = TIMED
) -> list[list]:
    """One row per route: [name, requests, p50 ms, p95 ms, CPU p50 ms, CPU p95 ms]; at
    least ``timed`` requests a route, and every one of its paths once."""
    from bench._common import bench_app

    # As under gunicorn in bench.http_load: rate limits off (and the scheduler off).
    app = bench_app(data_dir, SECRET_KEY="bench", RATELIMIT_ENABLED=False)
    client = app.test_client()
    rows = []
    for name, paths in routes:
        for path in paths[:WARMUP]:
            client.get(path)
        wall, cpu = [], []
        for number in range(max(timed, len(paths))):
            path = paths[number % len(paths)]
            started, cpu_started = time.perf_counter(), time.thread_time()
            response = client.get(path)
            cpu.append((time.thread_time() - cpu_started) * 1000)
            wall.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered {response.status_code}")
        p50, p95, _ = percentiles(wall)
        cpu50, cpu95, _ = percentiles(cpu)
        rows.append([name, len(wall), p50, p95, cpu50, cpu95])
    return rows

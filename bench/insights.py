"""Insights benchmark: rollup time and insight-page latency on a large raw search log.

Run by hand:  .venv/bin/python -m bench.insights [--rows 1000000]   (default 100000)

It builds a fresh data directory and migrated SQLite database in a temporary directory,
imports kb_articles, then writes a *benchmark corpus* of raw SearchLog rows (plus clicks on
about 35% of them and the article views they led to) spread over 60 days with bulk
executemany inserts. This is not demo traffic (that is `flask insights demo-data`, through
the real services, and far slower): the queries, tokens and result counts are real (taken
from the real analyzer and index), the rest is drawn at random. It then times the full
rollup, an incremental rollup after one more hour of rows, the /insights/ page against the
same figures computed straight from the raw table with GROUP BY (the baseline, same run),
and the gaps and articles pages. Medians throughout: the machine is small and noisy."""

import argparse
import os
import platform
import random
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import func, select, text

from bench._insights_corpus import Corpus, stamp, vocabulary
from bench._insights_queries import baseline, overview_figures
from portal import ROOT, create_app
from portal.auth.services import create_user
from portal.extensions import db
from portal.insights.ranges import parse_range
from portal.kb.importer import import_directory
from portal.models import QueryDayStat, SearchHourStat, SearchLog, VisitorDay

DAYS = 60
PAGE_RUNS = 20
OTHER_RUNS = 9
USERS = 500
PASSWORD = "bench-password-1"


class FixedClock:
    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def timed(fn, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        times.append((time.perf_counter() - began) * 1000)
    return times


def p50(times):
    return statistics.median(times)


def p95(times):
    return sorted(times)[min(len(times) - 1, round(0.95 * (len(times) - 1)))]


def run(rows: int, seed: int, keep: bool) -> list[tuple[str, str]]:
    from portal.insights.rollup import roll_up

    rng = random.Random(seed)
    data_dir = Path(tempfile.mkdtemp(prefix="insights-bench-"))
    now = datetime.now(UTC).replace(tzinfo=None, minute=0, second=0, microsecond=0)
    clock = FixedClock(now)
    app = create_app(
        {
            "DATA_DIR": str(data_dir),
            "SECRET_KEY": "bench",
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "CLOCK": clock,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{data_dir / 'portal.db'}",
            "SEARCH_INDEX_DIR": str(data_dir / "index"),
        }
    )
    table: list[tuple[str, str]] = []
    with app.app_context():
        upgrade()
        import_directory(ROOT / "kb_articles")
        editor = create_user("editor@bench.example", PASSWORD, "Editor", role="editor")
        connection = db.engine.raw_connection()
        connection.cursor().executemany(
            "INSERT INTO users (email, password_hash, display_name, role, locale, active,"
            " created_at) VALUES (?, ?, ?, 'customer', 'zh_CN', 1, ?)",
            [
                (f"c{n}@bench.example", editor.password_hash, f"c{n}", stamp(now))
                for n in range(USERS)
            ],
        )
        connection.commit()
        connection.close()
        user_ids = list(db.session.scalars(text("SELECT id FROM users WHERE role='customer'")))
        corpus = Corpus(vocabulary(rng), user_ids, rng)

        began = time.perf_counter()
        rate = corpus.fill(now - timedelta(days=DAYS), now, rows, "search_logs")
        generate_s = time.perf_counter() - began
        table.append(
            (
                "raw rows generated (search_logs)",
                f"{rows:,} in {generate_s:.1f} s ({rate:,.0f} rows/s)",
            )
        )

        began = time.perf_counter()
        roll_up()
        full_s = time.perf_counter() - began
        table.append(("rollup, full (60 days)", f"{full_s:.2f} s"))

        hour_rows = max(1, rows // (DAYS * 24))
        corpus.fill(now, now + timedelta(hours=1), hour_rows, "one more hour")
        clock.at = now + timedelta(hours=1, minutes=1)
        began = time.perf_counter()
        roll_up()
        incremental_s = time.perf_counter() - began
        table.append(
            (
                "rollup, incremental (+1 hour)",
                f"{incremental_s * 1000:.0f} ms ({hour_rows:,} new rows)",
            )
        )

        client = app.test_client()
        response = client.post("/login", data={"email": editor.email, "password": PASSWORD})
        assert response.status_code == 302, response.status_code

        def page(url):
            def get():
                answer = client.get(url)
                assert answer.status_code == 200, (url, answer.status_code)

            return get

        page("/insights/?days=30")()  # warm up: templates, first queries
        overview = timed(page("/insights/?days=30"), PAGE_RUNS)
        window = parse_range({"days": "30"})  # the very days the page shows
        start, end = window.start_at, window.end_at
        baseline(start, end)
        raw = timed(lambda: baseline(start, end), PAGE_RUNS)
        with app.test_request_context("/insights/?days=30"):
            overview_figures(window)
            figures = timed(lambda: overview_figures(window), PAGE_RUNS)
        table.append(
            (
                "/insights/?days=30 whole page (rollups), p50 / p95",
                f"{p50(overview):.0f} / {p95(overview):.0f} ms",
            )
        )
        table.append(
            (
                "  its figures only (kpis + query tables, no HTML/charts), p50 / p95",
                f"{p50(figures):.0f} / {p95(figures):.0f} ms",
            )
        )
        table.append(
            (
                "same search figures from raw rows (GROUP BY), p50 / p95",
                f"{p50(raw):.0f} / {p95(raw):.0f} ms",
            )
        )
        table.append(
            ("raw GROUP BY / whole page, ratio of p50", f"{p50(raw) / p50(overview):.1f}×")
        )
        table.append(
            ("raw GROUP BY / rollup figures, ratio of p50", f"{p50(raw) / p50(figures):.1f}×")
        )
        for url in ("/insights/gaps?days=30", "/insights/articles?days=30"):
            page(url)()
            median = p50(timed(page(url), OTHER_RUNS))
            table.append((f"{url.split('?')[0]} p50", f"{median:.0f} ms"))

        hour_n, query_n, visitor_n = (
            db.session.scalar(select(func.count()).select_from(m))
            for m in (SearchHourStat, QueryDayStat, VisitorDay)
        )
        raw_rows = db.session.scalar(select(func.count()).select_from(SearchLog))
        table.append(("raw search_logs rows", f"{raw_rows:,}"))
        table.append(
            (
                "rollup rows: hour / query-day / visitor-day",
                f"{hour_n:,} / {query_n:,} / {visitor_n:,}",
            )
        )
        size = sum(p.stat().st_size for p in data_dir.glob("portal.db*"))
        table.append(("database size", f"{size / 2**20:,.0f} MiB"))
        db.session.remove()
        db.engine.dispose()
    if not keep:
        shutil.rmtree(data_dir, ignore_errors=True)
    else:
        table.append(("data directory (kept)", str(data_dir)))
    return table


def render(table: list[tuple[str, str]], rows: int) -> str:
    lines = [
        f"# Insights benchmark: {rows:,} raw searches over {DAYS} days",
        "",
        f"{datetime.now():%Y-%m-%d %H:%M}, Python {platform.python_version()}, SQLite, "
        f"{os.cpu_count()} cores. Medians of {PAGE_RUNS} page requests (test client, "
        "logged-in editor); the baseline runs the same figures as plain GROUP BY "
        "queries on the raw tables in the same run. The corpus is bulk-inserted "
        "benchmark data, not demo traffic.",
        "",
        "| measure | result |",
        "|---|---|",
    ]
    lines += [f"| {name} | {value} |" for name, value in table]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="Keep the temporary data dir.")
    args = parser.parse_args()
    table = run(args.rows, args.seed, args.keep)
    output = render(table, args.rows)
    print()
    print(output)
    (ROOT / "bench" / "results-insights.md").write_text(output, encoding="utf-8")


if __name__ == "__main__":
    main()

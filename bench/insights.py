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
from tqdm import tqdm

from portal import ROOT, create_app
from portal.auth.services import create_user
from portal.extensions import db
from portal.indexing.backend import get_backend
from portal.insights.kpis import compute_kpis, excluded_counts
from portal.insights.query_reports import query_report
from portal.insights.ranges import parse_range
from portal.kb.importer import import_directory
from portal.models import Article, QueryDayStat, SearchHourStat, SearchLog, VisitorDay
from search.analyzer import normalize_query, tokenize
from search.backend import SearchRequest

DAYS = 60
CHUNK = 20_000
PAGE_RUNS = 20
OTHER_RUNS = 9
USERS = 500
HOUR_WEIGHTS = (2, 1, 1, 0.5, 0.5, 0.5, 1, 2, 4, 6, 9, 10, 9, 6, 6, 6, 6, 5, 5, 6, 9, 10, 9, 5)
FORMS = ("{}", "{}", "{}怎么办", "请问{}", "{}要多久", "{} 不行", "how to {}")
GAP_QUERIES = (
    "以旧换新",
    "会员积分",
    "发票红冲",
    "预售定金退款",
    "青禾笔记 Linux ARM",
    "批量导出PDF",
    "学生优惠",
    "树莓派",
    "student discount",
    "积分兑换",
)
AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4) Version/17.4 Mobile Safari/604.1",
)
BOT_AGENT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
PASSWORD = "bench-password-1"


class FixedClock:
    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")  # how SQLAlchemy stores it in SQLite


def vocabulary(rng: random.Random) -> list[tuple]:
    """(raw, normalized, tokens, result_count, article ids hit) for ~1,500 distinct queries,
    with real analyzer tokens and real result counts."""
    phrases = set(GAP_QUERIES)
    for article in db.session.scalars(select(Article)):
        phrases.update([article.title, *article.tag_names])
    queries = sorted({form.format(p) for p in phrases for form in FORMS})
    rng.shuffle(queries)
    backend, vocab = get_backend(), []
    for raw in tqdm(queries[:1500], desc="vocabulary", unit="query"):
        results = backend.search(SearchRequest(text=raw, per_page=5))
        ids = [hit.doc_id for hit in results.hits if hit.doc_type == "article"]
        vocab.append((raw, normalize_query(raw), " ".join(tokenize(raw)), results.total, ids))
    return vocab


class Corpus:
    """Bulk writer of raw rows (search_logs, search_clicks, article_views)."""

    def __init__(self, vocab, user_ids, rng):
        self.vocab, self.user_ids, self.rng = vocab, user_ids, rng
        self.weights = [1 / rank**0.9 for rank in range(1, len(vocab) + 1)]  # Zipf-like
        self.next_id = (db.session.scalar(select(func.max(SearchLog.id))) or 0) + 1
        self.anons = [f"bench-{n:06x}" for n in range(20_000)]
        self.visitor: tuple[int | None, str | None] = (None, self.anons[0])

    def moments(self, start: datetime, seconds: float, count: int) -> list[datetime]:
        """COUNT sorted times in [start, start + seconds), busy at 10-12 and 20-22 local time
        (UTC+8): uniform times kept with probability weight/max (rejection sampling)."""
        moments, top = [], max(HOUR_WEIGHTS)
        while len(moments) < count:
            at = start + timedelta(seconds=self.rng.random() * seconds)
            if self.rng.random() * top < HOUR_WEIGHTS[(at.hour + 8) % 24]:
                moments.append(at)
        return sorted(moments)

    def rows(self, start: datetime, seconds: float, count: int):
        rng = self.rng
        searches, clicks, views = [], [], []
        picks = rng.choices(self.vocab, self.weights, k=count)
        for at, (raw, normalized, tokens, total, ids) in zip(
            self.moments(start, seconds, count), picks, strict=True
        ):
            if rng.random() < 0.08:  # the long tail: queries seen once or twice
                suffix = str(rng.randrange(100_000))
                raw, normalized, tokens = (
                    f"{raw} {suffix}",
                    f"{normalized} {suffix}",
                    f"{tokens} {suffix}",
                )
            if rng.random() < 0.6:  # a new visit; else the same visitor searches again
                user_id = rng.choice(self.user_ids) if rng.random() < 0.3 else None
                self.visitor = (user_id, None if user_id else rng.choice(self.anons))
            user_id, anon = self.visitor
            bot, staff = rng.random() < 0.05, rng.random() < 0.01
            sid = self.next_id
            self.next_id += 1
            searches.append(
                (
                    sid,
                    stamp(at),
                    user_id,
                    anon,
                    "page",
                    raw,
                    normalized,
                    tokens,
                    "{}",
                    total,
                    1,
                    BOT_AGENT if bot else rng.choice(AGENTS),
                    int(bot),
                    int(staff),
                )
            )
            if ids and not bot and rng.random() < 0.35:
                rank = min(len(ids), int(rng.paretovariate(1.6)))
                click_at = stamp(at + timedelta(seconds=rng.randint(3, 60)))
                clicks.append((sid, click_at, "article", ids[rank - 1], rank))
                views.append((ids[rank - 1], user_id, anon, sid, click_at))
            elif rng.random() < 0.1:
                views.append((rng.choice(ids or [1]), user_id, anon, None, stamp(at)))
        return searches, clicks, views

    def write(self, searches, clicks, views) -> None:
        connection = db.engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.executemany(
                "INSERT INTO search_logs (id, created_at, user_id, anon_id, source, query_raw,"
                " query_normalized, tokens, filters, result_count, page, user_agent, is_bot,"
                " is_staff) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                searches,
            )
            cursor.executemany(
                "INSERT INTO search_clicks (search_id, created_at, doc_type, doc_id, rank)"
                " VALUES (?,?,?,?,?)",
                clicks,
            )
            cursor.executemany(
                "INSERT INTO article_views (article_id, user_id, anon_id, search_id,"
                " created_at) VALUES (?,?,?,?,?)",
                views,
            )
            connection.commit()
        finally:
            connection.close()

    def fill(self, start: datetime, end: datetime, count: int, desc: str) -> float:
        """Write COUNT searches spread over [start, end) in time order; returns rows/s."""
        began = time.perf_counter()
        span = (end - start).total_seconds()
        chunks = max(1, count // CHUNK)
        with tqdm(total=count, desc=desc, unit="row", unit_scale=True) as bar:
            for n in range(chunks):
                size = count // chunks + (1 if n < count % chunks else 0)
                chunk_start = start + timedelta(seconds=span * n / chunks)
                self.write(*self.rows(chunk_start, span / chunks, size))
                bar.update(size)
        return count / (time.perf_counter() - began)


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


HUMAN = "NOT s.is_bot AND NOT s.is_staff"
CLICKED = "EXISTS (SELECT 1 FROM search_clicks c WHERE c.search_id = s.id)"
IN_RANGE = "s.created_at >= :start AND s.created_at < :end"
# The overview's search figures straight from the raw rows, as a page without rollups would
# compute them: headline totals and visitor figures for the range and the one before it
# (for the change), per-query counts for both (top, no-result, no-click and rising tables),
# per day and per hour. The forum, vote and ask figures read their own small tables either
# way, so they are left out of both sides' difference.
BASELINE_SQL = {
    "totals": f"""
        SELECT sum({HUMAN}), sum({HUMAN} AND s.result_count = 0), sum({HUMAN} AND {CLICKED}),
               sum(CASE WHEN {HUMAN} THEN (SELECT min(c.rank) FROM search_clicks c
                                           WHERE c.search_id = s.id) END),
               sum(s.is_bot), sum(s.is_staff AND NOT s.is_bot)
        FROM search_logs s WHERE {IN_RANGE}""",
    "visitors": f"""
        SELECT count(*), count(DISTINCT visitor), sum(served) FROM (
            SELECT date(s.created_at) AS day, coalesce(s.user_id, s.anon_id) AS visitor,
                   max({CLICKED}) AS served
            FROM search_logs s WHERE {IN_RANGE} AND {HUMAN} GROUP BY day, visitor)""",
    "per_query": f"""
        SELECT s.query_normalized, count(*), sum(s.result_count = 0), sum({CLICKED})
        FROM search_logs s WHERE {IN_RANGE} AND {HUMAN} AND s.page = 1
        GROUP BY s.query_normalized ORDER BY count(*) DESC""",
}
CURRENT_ONLY_SQL = {
    "per_day": f"""
        SELECT date(s.created_at) AS day, count(*), sum(s.result_count = 0), sum({CLICKED})
        FROM search_logs s WHERE {IN_RANGE} AND {HUMAN} GROUP BY day""",
    "per_hour": f"""
        SELECT strftime('%H', s.created_at) AS hour, count(*)
        FROM search_logs s WHERE {IN_RANGE} AND {HUMAN} GROUP BY hour""",
}


def baseline(start: datetime, end: datetime) -> None:
    previous = {"start": stamp(start - (end - start)), "end": stamp(start)}
    current = {"start": stamp(start), "end": stamp(end)}
    for sql in BASELINE_SQL.values():
        for params in (current, previous):
            db.session.execute(text(sql), params).all()
    for sql in CURRENT_ONLY_SQL.values():
        db.session.execute(text(sql), current).all()
    db.session.rollback()


def overview_figures(window) -> None:
    """What the overview computes before rendering: every KPI (with the previous range), the
    excluded counts and the query/day/hour tables, all read from the rollups."""
    compute_kpis(window)
    excluded_counts(window)
    query_report(window)
    db.session.rollback()


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

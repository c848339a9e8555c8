"""The insights benchmark's corpus: raw search_logs rows, the clicks on about 35% of them and
the article views they led to, written in bulk with real queries, tokens and result counts
(bench.insights times the pages on it)."""

import random
import time
from datetime import datetime, timedelta

from sqlalchemy import func, select
from tqdm import tqdm

from portal.extensions import db
from portal.indexing.backend import get_backend
from portal.models import Article, SearchLog
from search.analyzer import normalize_query, tokenize
from search.backend import SearchRequest

CHUNK = 20_000
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

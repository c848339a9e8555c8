"""Content gaps: failed and unclicked queries grouped into needs that editors can act on.

Clustering rule (deterministic, the same for every page and every test):

1. Per query in the range (``QueryDayStat`` summed over the days), the keyword set is
   ``canonical(token)`` (search.synonyms) of its analyzer tokens (the stored tokens, or the query
   re-analysed when none were stored), dropping stop words and keywords shorter than 2
   characters. Queries with an empty keyword set are ignored.
2. Queries with IDENTICAL keyword sets form one group; a group is unmet when at least half of
   its searches failed (no result) or went unclicked (``MIN_UNMET_SHARE``). Only unmet groups
   go on.
3. Groups are taken largest first (searches, then the sorted keywords as text). Each joins the
   FIRST need so far whose core keyword set has Jaccard similarity >= 0.5 with its own
   (``MERGE_JACCARD``); otherwise it starts a need and its keyword set is that need's core.
   Comparing with the core (not with the growing union) keeps needs from chaining together.
4. key = "+".join(sorted core); needs below ``min_searches`` searches are dropped; needs are
   sorted by searches, then unmet searches, then key.
The trend compares the need's searches with the previous range of equal length, counting the
searches there of queries with one of the need's keyword sets.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache

from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.clock import now
from portal.editor.services import ArticleData, save_article
from portal.editor.slugs import title_slug
from portal.extensions import db
from portal.insights.ranges import DEFAULT_DAYS, DateRange
from portal.models import Article, ContentNeed, QueryDayStat
from search.analyzer import tokenize
from search.stopwords import STOP_WORDS
from search.synonyms import canonical

logger = logging.getLogger(__name__)

MIN_UNMET_SHARE = 0.5
MERGE_JACCARD = 0.5
EXAMPLES = 5
OUTCOME_DAYS = 30  # days compared before and after a need was handled
KEY_MAX = 200  # ContentNeed.key column size
_KEY_PART_RE = re.compile(r"[^+]+(?:\+\+)?")  # keywords may end in ++ (c++)


class NeedError(ValueError):
    """An action on a need that cannot be done; the message is shown to the editor."""


@dataclass
class QueryStat:
    query: str
    keywords: frozenset[str]
    searches: int = 0
    failed: int = 0  # searches with no result
    clicked: int = 0  # searches with at least one click

    @property
    def unclicked(self) -> int:
        return max(self.searches - self.failed - self.clicked, 0)


@dataclass
class Trend:
    current: int
    previous: int

    @property
    def change(self) -> int:
        return self.current - self.previous

    @property
    def percent(self) -> float | None:
        """Change against the previous range in %, None when there was nothing before."""
        return round(self.change * 100 / self.previous, 1) if self.previous else None


@dataclass
class Need:
    key: str
    label: str
    keywords: list[str]  # the core keyword set, sorted
    searches: int = 0
    failed: int = 0
    unclicked: int = 0
    trend: Trend | None = None
    examples: list[str] = field(default_factory=list)
    queries: list[QueryStat] = field(default_factory=list)
    status: str = "new"  # new (no ContentNeed row) | open | handled
    content_need: ContentNeed | None = None
    keyword_sets: list[frozenset[str]] = field(default_factory=list)

    @property
    def unmet(self) -> int:
        return self.failed + self.unclicked


@lru_cache(maxsize=65536)
def keyword_set(query: str, tokens: str = "") -> frozenset[str]:
    """The canonical keywords of one query (see the module docstring, step 1)."""
    raw = tokens.split() if tokens.strip() else tokenize(query, mode="query")
    words = (canonical(token) for token in raw)
    return frozenset(w for w in words if len(w) >= 2 and w not in STOP_WORDS)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def need_key(keywords) -> str:
    """Sorted keywords joined by "+", cut at whole keywords to fit the column."""
    key = ""
    for word in sorted(keywords):
        candidate = f"{key}+{word}" if key else word
        if len(candidate) > KEY_MAX:
            break
        key = candidate
    return key


def key_keywords(key: str) -> frozenset[str]:
    return frozenset(_KEY_PART_RE.findall(key))


def query_stats(rng: DateRange) -> list[QueryStat]:
    """Every query searched in the range with its summed counts."""
    rows = db.session.execute(
        select(
            QueryDayStat.query,
            func.max(QueryDayStat.tokens),
            func.sum(QueryDayStat.searches),
            func.sum(QueryDayStat.zero_results),
            func.sum(QueryDayStat.clicked),
        )
        .where(QueryDayStat.day >= rng.start, QueryDayStat.day <= rng.end)
        .group_by(QueryDayStat.query)
    )
    return [
        QueryStat(query, keyword_set(query, tokens or ""), searches or 0, failed or 0, clicked or 0)
        for query, tokens, searches, failed, clicked in rows
    ]


def _by_keyword_set(stats: list[QueryStat]) -> dict[frozenset[str], list[QueryStat]]:
    groups: dict[frozenset[str], list[QueryStat]] = {}
    for stat in stats:
        if stat.keywords:
            groups.setdefault(stat.keywords, []).append(stat)
    return groups


def _is_unmet(queries: list[QueryStat]) -> bool:
    searches = sum(q.searches for q in queries)
    unmet = sum(q.failed + q.unclicked for q in queries)
    return searches > 0 and unmet >= MIN_UNMET_SHARE * searches


def _ranked(queries: list[QueryStat]) -> list[QueryStat]:
    return sorted(queries, key=lambda q: (-q.searches, q.query))


def find_needs(rng: DateRange, min_searches: int = 2) -> list[Need]:
    """The content needs of the range, biggest first (the rule is in the module docstring)."""
    groups = [
        (keywords, queries)
        for keywords, queries in _by_keyword_set(query_stats(rng)).items()
        if _is_unmet(queries)
    ]
    groups.sort(key=lambda g: (-sum(q.searches for q in g[1]), "+".join(sorted(g[0]))))
    cores: list[frozenset[str]] = []
    needs: list[Need] = []
    for keywords, queries in groups:
        need = next(
            (
                n
                for core, n in zip(cores, needs, strict=True)
                if jaccard(keywords, core) >= MERGE_JACCARD
            ),
            None,
        )
        if need is None:
            need = Need(key=need_key(keywords), label="", keywords=sorted(keywords))
            cores.append(keywords)
            needs.append(need)
        need.keyword_sets.append(keywords)
        need.queries.extend(queries)
    previous = _by_keyword_set(query_stats(rng.previous()))
    rows = _content_need_rows()
    for need in needs:
        _finish(need, previous, rows)
    needs = [need for need in needs if need.searches >= min_searches]
    needs.sort(key=lambda n: (-n.searches, -n.unmet, n.key))
    return needs


def _finish(need: Need, previous, rows: dict[str, ContentNeed]) -> None:
    need.queries = _ranked(need.queries)
    need.searches = sum(q.searches for q in need.queries)
    need.failed = sum(q.failed for q in need.queries)
    need.unclicked = sum(q.unclicked for q in need.queries)
    need.label = need.queries[0].query
    need.examples = [q.query for q in need.queries[:EXAMPLES]]
    before = sum(q.searches for ks in need.keyword_sets for q in previous.get(ks, []))
    need.trend = Trend(need.searches, before)
    # A row saved under this key, or under the key one of its query groups had as a core.
    candidates = [need.key] + [need_key(ks) for ks in need.keyword_sets]
    need.content_need = next((rows[k] for k in candidates if k in rows), None)
    need.status = need.content_need.status if need.content_need else "new"


def _content_need_rows() -> dict[str, ContentNeed]:
    return {row.key: row for row in db.session.scalars(select(ContentNeed))}


def default_range() -> DateRange:
    today = now().date()
    return DateRange(today - timedelta(days=DEFAULT_DAYS - 1), today)


def get_need(key: str, rng: DateRange | None = None) -> Need:
    """The need with this key in the range (default: the last 30 days), or NeedError."""
    if not key or len(key) > KEY_MAX:
        raise NeedError(_("A need key is required."))
    for need in find_needs(rng or default_range(), min_searches=1):
        if need.key == key:
            return need
    raise NeedError(_("There is no content need “%(key)s” in this date range.", key=key))


def _md_escape(text: str) -> str:
    # Customer text goes into Markdown the editor will edit: keep it literal.
    return re.sub(r"([\\`*_\[\]<>#|!])", r"\\\1", " ".join(text.split()))


def draft_body(need: Need) -> str:
    """The draft's starting text: the questions to answer as a checklist, and the keywords."""
    lines = [
        _(
            "_Draft started from a content need in Insights: customers searched for this "
            "%(n)d times and did not find an answer._",
            n=need.searches,
        ),
        "",
        "## " + _("Questions customers asked"),
        "",
        *(f"- [ ] {_md_escape(q)}" for q in need.examples),
        "",
        "## " + _("Keywords"),
        "",
        ", ".join(_md_escape(k) for k in need.keywords),
        "",
        "## " + _("Answer"),
        "",
        _("Write the answer here."),
        "",
    ]
    return "\n".join(lines)


def _row_for(need: Need) -> ContentNeed:
    row = need.content_need
    if row is None:
        row = ContentNeed(key=need.key, label=need.label[:200])
        db.session.add(row)
    return row


def draft_article_for_need(key: str, user, rng: DateRange | None = None) -> tuple[Article, bool]:
    """Create a DRAFT article for the need and link it; (article, created). A need that
    already has its draft gets that one back, so a second click makes no duplicate."""
    need = get_need(key, rng)
    if need.content_need is not None and need.content_need.article_id is not None:
        existing = db.session.get(Article, need.content_need.article_id)
        if existing is not None:
            return existing, False
    data = ArticleData(
        title=need.label[:200],
        slug=title_slug(
            need.label,
            fallback="need-"
            + hashlib.sha1(need.key.encode("utf-8"), usedforsecurity=False).hexdigest()[:10],
        ),
        body_md=draft_body(need),
        category_id=None,
        language="en" if need.label.isascii() else "zh-CN",
        status="draft",
        tags=list(need.keywords),
    )
    article, _changed = save_article(None, data, user.id, "Draft from a content need")
    row = _row_for(need)
    row.article_id = article.id
    db.session.commit()
    logger.info("draft article %s created for content need %s", article.id, need.key)
    return article, True


def mark_handled(key: str, user, rng: DateRange | None = None) -> ContentNeed:
    """Mark the need handled now (a need already handled keeps its first date)."""
    if not key or len(key) > KEY_MAX:
        raise NeedError(_("A need key is required."))
    row = db.session.scalar(select(ContentNeed).where(ContentNeed.key == key))
    if row is None:
        need = get_need(key, rng)
        row = _row_for(need)
    if row.status != "handled":
        row.status = "handled"
        row.handled_at = now()
        row.handled_by_id = user.id
        db.session.commit()
    return row


def handled_needs() -> list[ContentNeed]:
    return list(
        db.session.scalars(
            select(ContentNeed)
            .where(ContentNeed.status == "handled")
            .order_by(ContentNeed.handled_at.desc(), ContentNeed.id.desc())
        )
    )


def _window(stats: list[QueryStat], core: frozenset[str], rng: DateRange) -> dict:
    mine = [s for s in stats if s.keywords and jaccard(s.keywords, core) >= MERGE_JACCARD]
    searches = sum(s.searches for s in mine)
    failed = sum(s.failed for s in mine)
    clicked = sum(s.clicked for s in mine)
    return {
        "start": rng.start,
        "end": rng.end,
        "searches": searches,
        "zero_results": failed,
        "clicked": clicked,
        "zero_rate": round(failed * 100 / searches, 1) if searches else None,
        "ctr": round(clicked * 100 / searches, 1) if searches else None,
    }


def need_outcome(row: ContentNeed, days: int = OUTCOME_DAYS) -> dict:
    """Searches, zero-result rate and click-through (both in %) for the need's queries in
    the ``days`` before and after the day it was handled. That day itself is left out, as
    its daily counts mix both sides. A query belongs to the need when its keyword set has
    Jaccard >= 0.5 with the need's key, the rule that grouped it in the first place."""
    if row.handled_at is None:
        raise NeedError(_("This need has not been handled yet."))
    day = row.handled_at.date()
    core = key_keywords(row.key)
    before = DateRange(day - timedelta(days=days), day - timedelta(days=1))
    after = DateRange(day + timedelta(days=1), day + timedelta(days=days))
    return {
        "handled_day": day,
        "days": days,
        "before": _window(query_stats(before), core, before),
        "after": _window(query_stats(after), core, after),
    }

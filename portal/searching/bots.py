"""Tell crawlers and scripts from customers, so they stay out of every insight figure.

Two rules: a user agent that names itself a bot (or a tool, or is empty), and a request
rate no person types at (more than RATE_LIMIT searches from one visitor in RATE_WINDOW)."""

import re
from datetime import datetime, timedelta

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import SearchLog

BOT_AGENT = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|scrapy|curl/|wget/|python-requests|python-urllib|httpx|"
    r"aiohttp|go-http-client|java/|okhttp|libwww|headlesschrome|phantomjs|uptime|monitor|"
    r"baiduspider|yandex|bingpreview|facebookexternalhit|semrush|ahrefs|mj12|petalbot",
    re.IGNORECASE,
)
RATE_WINDOW = timedelta(minutes=1)
RATE_LIMIT = 20


def agent_is_bot(user_agent: str | None) -> bool:
    return not (user_agent or "").strip() or bool(BOT_AGENT.search(user_agent or ""))


def too_fast(user_id: int | None, anon_id: str | None, at: datetime) -> bool:
    """More searches in the last minute than a person makes."""
    who = SearchLog.user_id == user_id if user_id is not None else SearchLog.anon_id == anon_id
    recent = db.session.scalar(
        select(func.count())
        .select_from(SearchLog)
        .where(who, SearchLog.created_at > at - RATE_WINDOW, SearchLog.created_at <= at)
    )
    return (recent or 0) >= RATE_LIMIT


def is_bot(user_agent: str | None, user_id: int | None, anon_id: str | None, at: datetime) -> bool:
    return agent_is_bot(user_agent) or too_fast(user_id, anon_id, at)

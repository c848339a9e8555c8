"""Readable article slugs: the title in ASCII (Chinese as pinyin), unique among articles.

退货运费谁承担 -> tui-huo-yun-fei-shui-cheng-dan; "Refund policy" -> refund-policy."""

import re
import unicodedata

from sqlalchemy import select

from portal.extensions import db
from portal.models import Article
from portal.searching.pinyin import lazy_pinyin

SLUG_MAX = 100  # below the column's 120, leaving room for a "-2" de-duplication suffix
TITLE_SLUG_MAX = 60  # a suggested slug stays readable: whole words up to this length


def slugify(text: str, limit: int = SLUG_MAX) -> str:
    """``text`` as lower-case ASCII words joined by hyphens, cut at a word boundary within
    ``limit``; empty when nothing is left (symbols only)."""
    words = lazy_pinyin(text)  # non-Chinese runs pass through unchanged
    ascii_text = unicodedata.normalize("NFKD", "-".join(words)).encode("ascii", "ignore")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.decode().lower()).strip("-")
    if len(slug) > limit:
        cut = slug[: limit + 1]
        slug = cut[: cut.rfind("-")] if "-" in cut else slug[:limit]
    return slug.strip("-")


def free_slug(base: str) -> str:
    """``base``, or ``base``-2, -3, ... when an article already has it."""
    slug, number = base, 1
    while db.session.scalar(select(Article.id).where(Article.slug == slug)) is not None:
        number += 1
        slug = f"{base}-{number}"
    return slug


def title_slug(title: str, fallback: str) -> str:
    """A free slug made from ``title`` (``fallback`` when the title gives none)."""
    return free_slug(slugify(title, TITLE_SLUG_MAX) or fallback)

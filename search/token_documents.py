"""Backend-neutral indexing: an IndexDocument as space-joined analyzer tokens per field.

SQL full-text engines number tokens sequentially, while our analyzer puts a long word's
dictionary sub-words (退货政策 -> 退货, 政策) at the word's own position. So each text
field becomes two token strings: the whole words in order (phrases line up) and the
sub-words (term queries search both).
"""

from __future__ import annotations

import math
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import datetime
from typing import NamedTuple

from search.analyzer import index_words
from search.backend import IndexDocument
from search.timestamps import naive_utc, utcnow

__all__ = [
    "REBUILD_BATCH",
    "TEXT_FIELDS",
    "TOKEN_COLUMNS",
    "TokenRow",
    "analysed_batches",
    "days_now",
    "document_boost",
    "freshness_days",
    "net_changes",
    "split_tokens",
    "tags_text",
    "token_row",
]

TEXT_FIELDS = ("title", "tags", "body")  # the whole-word columns, where phrases match
TOKEN_COLUMNS = (*TEXT_FIELDS, *(f"{name}_sub" for name in TEXT_FIELDS))

_EPOCH = datetime(2000, 1, 1)


class TokenRow(NamedTuple):
    """The token strings of one document, in TOKEN_COLUMNS order."""

    title: str
    tags: str
    body: str
    title_sub: str
    tags_sub: str
    body_sub: str


def split_tokens(text: str) -> tuple[str, str]:
    """Return (whole words, sub-words) of ``text`` as space-joined index tokens."""
    whole, sub = index_words(text)
    return " ".join(whole), " ".join(sub)


def tags_text(tags: list[str]) -> str:
    """Tags as one text, joined the way every backend indexes them."""
    return ", ".join(tag for tag in tags if tag)


def token_row(doc: IndexDocument) -> TokenRow:
    """Analyse a document's title, tags and body into its :class:`TokenRow`."""
    title, title_sub = split_tokens(doc.title or "")
    tags, tags_sub = split_tokens(tags_text(doc.tags))
    body, body_sub = split_tokens(doc.body or "")
    return TokenRow(title, tags, body, title_sub, tags_sub, body_sub)


def net_changes(
    upserts: Iterable[IndexDocument], deletes: Iterable[str]
) -> tuple[dict[str, IndexDocument], list[str]]:
    """An apply() batch as (last document per key, keys to delete): an upsert wins over a
    delete of its key, and a key repeated in one batch keeps its last document."""
    latest = {doc.key: doc for doc in upserts}
    delete_keys = [key for key in dict.fromkeys(deletes) if key not in latest]
    return latest, delete_keys


def document_boost(doc: IndexDocument) -> float:
    """The document's ranking multiplier; a negative or NaN one would invert the ranking."""
    try:
        boost = float(doc.boost)
    except (TypeError, ValueError):
        return 1.0
    return boost if math.isfinite(boost) and boost >= 0 else 1.0


def _days_since_epoch(moment: datetime) -> float:
    return (naive_utc(moment) - _EPOCH).total_seconds() / 86400.0


def freshness_days(updated: datetime | None, unknown: float) -> float:
    """``updated`` as days since 2000-01-01 UTC, or ``unknown`` when it is not set."""
    return unknown if updated is None else _days_since_epoch(updated)


def days_now(now: datetime | None = None) -> float:
    """Now as days since 2000-01-01 UTC (ages are this minus :func:`freshness_days`)."""
    return _days_since_epoch(now or utcnow())


# Analysis (segmentation) bounds bulk indexing, so rebuilds spread it over the cores.
ANALYSIS_WORKERS = min(2, os.cpu_count() or 1)
_IN_FLIGHT = 4  # batches queued per worker: enough to keep them busy, bounded memory

REBUILD_BATCH = 500  # documents per rebuild batch, so per progress() report

Analysed = list[tuple[IndexDocument, TokenRow]]


def _token_rows(batch: list[IndexDocument]) -> list[TokenRow]:
    return [token_row(doc) for doc in batch]


def _unique_batches(docs: Iterable[IndexDocument], size: int) -> Iterator[list[IndexDocument]]:
    seen: set[str] = set()  # a repeated key keeps its first document
    batch: list[IndexDocument] = []
    for doc in docs:
        if doc.key not in seen:
            seen.add(doc.key)
            batch.append(doc)
            if len(batch) >= size:
                yield batch
                batch = []
    if batch:
        yield batch


def analysed_batches(
    docs: Iterable[IndexDocument],
    size: int,
    analyse: Callable[[list[IndexDocument]], list] | None = None,
) -> Iterator[Analysed]:
    """Batches of (document, its analysis) in input order, repeated keys dropped; the
    analysis is a TokenRow unless ``analyse`` (a module-level function of a batch) says.

    The first batch is analysed here; from the second on, worker processes (forked, so
    they inherit the user dictionary) analyse while the caller writes.
    """
    _analyse = analyse or _token_rows
    batches = _unique_batches(docs, size)
    first = next(batches, None)
    if first is None:
        return
    yield list(zip(first, _analyse(first), strict=True))
    if ANALYSIS_WORKERS < 2 or "fork" not in multiprocessing.get_all_start_methods():
        for batch in batches:
            yield list(zip(batch, _analyse(batch), strict=True))
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(ANALYSIS_WORKERS, mp_context=context) as pool:
        pending: deque[tuple[list[IndexDocument], Future]] = deque()
        for batch in batches:
            pending.append((batch, pool.submit(_analyse, batch)))
            if len(pending) >= ANALYSIS_WORKERS * _IN_FLIGHT:
                done, future = pending.popleft()
                yield list(zip(done, future.result(), strict=True))
        while pending:
            done, future = pending.popleft()
            yield list(zip(done, future.result(), strict=True))

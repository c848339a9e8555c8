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
from typing import Any, NamedTuple

from search.analyzer import fold
from search.backend import DocumentBatches, DocumentRows, IndexDocument
from search.index_words import index_text_folded, index_words
from search.ngrams import folded_grams_text
from search.timestamps import naive_utc, utcnow

__all__ = [
    "REBUILD_BATCH",
    "TEXT_FIELDS",
    "TOKEN_COLUMNS",
    "TokenRow",
    "analysed_batches",
    "days_now",
    "document_boost",
    "document_tokens",
    "folded_document_tokens",
    "folded_fields",
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


def document_tokens(doc: IndexDocument) -> tuple[TokenRow, str, str]:
    """(:func:`token_row`, then the Han characters and bigrams of title, tags and body as
    ngrams.grams_text gives them), folding each field once."""
    return folded_document_tokens(*folded_fields(doc))


def folded_fields(doc: IndexDocument) -> tuple[str, str, str]:
    """The document's title, tags (:func:`tags_text`) and body, folded."""
    return fold(doc.title or ""), fold(tags_text(doc.tags)), fold(doc.body or "")


def folded_document_tokens(title: str, tags: str, body: str) -> tuple[TokenRow, str, str]:
    """:func:`document_tokens` of the :func:`folded_fields` of a document."""
    (title_words, title_sub), (tag_words, tags_sub), (body_words, body_sub) = (
        index_text_folded(title),
        index_text_folded(tags),
        index_text_folded(body),
    )
    row = TokenRow(title_words, tag_words, body_words, title_sub, tags_sub, body_sub)
    # Folding is per character, so the fields folded apart have the Han runs of the text
    # folded whole; a newline between fields keeps bigrams from spanning two of them.
    chars, bigrams = folded_grams_text(f"{title}\n{tags}\n{body}")
    return row, chars, bigrams


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


# Making documents (Markdown to text) and analysing them (segmentation) bound bulk indexing,
# so rebuilds spread both over the cores; the caller only reads rows and writes.
ANALYSIS_WORKERS = min(2, os.cpu_count() or 1)
_IN_FLIGHT = 4  # batches queued per worker: enough to keep them busy, bounded memory

REBUILD_BATCH = 500  # documents per rebuild batch, so per progress() report

Analysed = list[tuple[IndexDocument, Any]]


def _token_rows(batch: list[IndexDocument]) -> list[TokenRow]:
    return [token_row(doc) for doc in batch]


def _given(rows: list[IndexDocument]) -> list[IndexDocument]:
    return rows  # a batch of documents already made


def _given_batches(docs: Iterable[IndexDocument], size: int) -> Iterator[DocumentRows]:
    batch: list[IndexDocument] = []
    for doc in docs:
        batch.append(doc)
        if len(batch) >= size:
            yield DocumentRows(_given, batch)
            batch = []
    if batch:
        yield DocumentRows(_given, batch)


def _work(batch: DocumentRows, analyse: Callable[[list[IndexDocument]], list]) -> tuple:
    """(the documents, unless the caller has them; their analysis): one batch's work."""
    docs = batch.documents()
    return (None if batch.build is _given else docs), analyse(docs)


def _pairs(batch: DocumentRows, done: tuple, seen: set[str]) -> Analysed:
    docs, analysis = done
    pairs = []
    for doc, analysed in zip(batch.rows if docs is None else docs, analysis, strict=True):
        if doc.key not in seen:  # a repeated key keeps its first document
            seen.add(doc.key)
            pairs.append((doc, analysed))
    return pairs


def analysed_batches(
    docs: Iterable[IndexDocument],
    size: int,
    analyse: Callable[[list[IndexDocument]], list] | None = None,
) -> Iterator[Analysed]:
    """Batches of (document, its analysis) in input order, repeated keys dropped; the
    analysis is a TokenRow unless ``analyse`` (a module-level function of a batch) says.

    ``docs`` given as :class:`DocumentBatches` keep their batches, and the documents are
    made where they are analysed. The first batch is done here; from the second on, worker
    processes (forked, so they inherit the user dictionary) do them while the caller writes.
    """
    _analyse = analyse or _token_rows
    if isinstance(docs, DocumentBatches):
        batches: Iterator[DocumentRows] = docs.batches
    else:
        batches = _given_batches(docs, size)
    seen: set[str] = set()
    first = next(batches, None)
    if first is None:
        return
    yield _pairs(first, _work(first, _analyse), seen)
    if ANALYSIS_WORKERS < 2 or "fork" not in multiprocessing.get_all_start_methods():
        for batch in batches:
            yield _pairs(batch, _work(batch, _analyse), seen)
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(ANALYSIS_WORKERS, mp_context=context) as pool:
        pending: deque[tuple[DocumentRows, Future]] = deque()
        for batch in batches:
            pending.append((batch, pool.submit(_work, batch, _analyse)))
            if len(pending) >= ANALYSIS_WORKERS * _IN_FLIGHT:
                done, future = pending.popleft()
                yield _pairs(done, future.result(), seen)
        while pending:
            done, future = pending.popleft()
            yield _pairs(done, future.result(), seen)

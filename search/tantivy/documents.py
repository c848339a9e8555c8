"""An IndexDocument as a tantivy document: analysed in Python, stored as token strings."""

from __future__ import annotations

import hashlib
from typing import NamedTuple

import tantivy

from search.backend import IndexDocument
from search.folding import fold_prefix
from search.highlight import HIGHLIGHT_MAX_CHARS
from search.tantivy.schema import (
    ANY_WORD_FIELD,
    BIGRAM_FIELD,
    CHAR_FIELD,
    FAST_FILTERS,
    SUB_FIELDS,
    WORD_FIELDS,
)
from search.token_documents import (
    TokenRow,
    document_boost,
    folded_document_tokens,
    folded_fields,
    freshness_days,
)

__all__ = [
    "UNKNOWN_DAYS",
    "Analysed",
    "analyse",
    "days_since_epoch",
    "key_uid",
    "to_document",
    "value_code",
]

UNKNOWN_DAYS = -1e12  # no update time: so old that freshness adds nothing
_UID_MASK = (1 << 63) - 1


class Analysed(NamedTuple):
    """The analyser's output for one document (picklable: rebuilds analyse in processes)."""

    row: TokenRow
    chars: str
    bigrams: str
    body_folded: bytes  # the folded start of the body (UTF-8), stored for highlighting


def analyse(doc: IndexDocument) -> Analysed:
    """Words per field, the Han characters and bigrams of title, tags and body, and the
    folded body as far as highlighting reads it."""
    title, tags, body = folded_fields(doc)
    body_folded = fold_prefix(doc.body or "", body, HIGHLIGHT_MAX_CHARS)
    encoded = body_folded.encode("utf-8", "surrogatepass")  # here: rebuilds run this in workers
    return Analysed(*folded_document_tokens(title, tags, body), encoded)


def analyse_batch(docs: list[IndexDocument]) -> list[Analysed]:
    """:func:`analyse` over a batch (the unit a rebuild hands to a worker process)."""
    return [analyse(doc) for doc in docs]


def value_code(value: str) -> int:
    """A stable non-negative 63-bit number for a text (fast fields hold numbers)."""
    digest = hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") & _UID_MASK


def key_uid(key: str) -> int:
    """A stable number for a document key."""
    return value_code(key)


def days_since_epoch(doc: IndexDocument) -> float:
    """The document's update time as days since 2000-01-01 UTC (UNKNOWN_DAYS when unset)."""
    return freshness_days(doc.updated, UNKNOWN_DAYS)


def to_document(doc: IndexDocument, analysed: Analysed) -> tantivy.Document:
    """The tantivy document for ``doc`` with its analysed text."""
    out = tantivy.Document()
    out.add_text("key", doc.key)
    out.add_text("doc_type", doc.doc_type or "")
    out.add_integer("doc_id", int(doc.doc_id))
    out.add_text("slug", doc.slug or "")
    if doc.language:
        out.add_text("language", doc.language)
    for category in doc.category_ids:
        out.add_integer("category_ids", int(category))
    out.add_integer("uid", key_uid(doc.key))
    values = {"doc_type": doc.doc_type or "", "language": doc.language or ""}
    for name, code in FAST_FILTERS.items():
        out.add_integer(code, value_code(values[name]))
    out.add_float("boost", document_boost(doc))
    out.add_float("updated_days", days_since_epoch(doc))
    for name, text in zip((*WORD_FIELDS, *SUB_FIELDS), analysed.row, strict=True):
        if text:
            out.add_text(name, text)
    any_word = " ".join(text for text in analysed.row if text)
    if any_word:
        out.add_text(ANY_WORD_FIELD, any_word)
    if analysed.chars:
        out.add_text(CHAR_FIELD, analysed.chars)
    if analysed.bigrams:
        out.add_text(BIGRAM_FIELD, analysed.bigrams)
    out.add_bytes("title_text", (doc.title or "").encode("utf-8", "surrogatepass"))
    body = doc.body or ""
    out.add_bytes("body_text", body.encode("utf-8", "surrogatepass"))
    out.add_bytes("body_folded", analysed.body_folded)
    return out

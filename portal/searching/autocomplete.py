"""Suggestions while typing: popular successful queries and titles of published articles and
solved forum topics, matched by prefix of the folded text, of any word inside a title, or of
its pinyin (tuih -> 退货政策).

One sorted array of keys (each a short prefix of a text from a word start) with the entry it
belongs to; a lookup is a bisect. Entries are numbered heaviest first, so the best matches
of a range are its smallest entry numbers. Prefixes matching very many keys (one letter,
one common character) get their best entries precomputed, so no lookup scans far."""

import heapq
import itertools
import logging
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from flask import current_app
from sqlalchemy import select

from portal.extensions import db
from portal.models import Article, BlockedSuggestion, Topic
from portal.searching import apart
from portal.searching.pinyin import has_cjk, syllables
from portal.searching.refresh import TimedCache
from portal.searching.spelling import MASK_MARK, successful_queries
from portal.searching.suggestable import has_contact_details
from search.analyzer import analyze, fold, normalize_query
from search.query import MAX_QUERY_CHARS

logger = logging.getLogger(__name__)

LIMIT = 8
KEY_CHARS = 16  # longer typed text is matched on its first KEY_CHARS, then checked in full
SCAN_LIMIT = 2000  # a prefix matching more keys than this has its best entries precomputed
MAX_QUERIES = 20_000
_END = "\U0010ffff"

_cache = TimedCache("autocomplete", "AUTOCOMPLETE_REFRESH_SECONDS")


def _from_end(number: int, length: int) -> int:
    """A negative index as a list reads it, or IndexError."""
    if number + length < 0:
        raise IndexError("index out of range")
    return number + length


class PackedStrings(Sequence[str]):
    """Strings as one UTF-8 blob and its offsets, in a fifth of the memory of a list of str
    (at 100,000 documents the 743,000 keys took ~70 MiB as str objects in every worker).
    UTF-8 sorts bytes in code point order, so sorted keys stay sorted for bisect."""

    def __init__(self, strings: Iterable[str]) -> None:
        blob = bytearray()
        self._offsets = array("I", [0])
        for string in strings:
            blob += string.encode("utf-8", "surrogatepass")
            self._offsets.append(len(blob))
        self._blob = bytes(blob)

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PackedStrings):
            return NotImplemented
        return self._blob == other._blob and self._offsets == other._offsets

    __hash__ = None  # type: ignore[assignment]  # equal by value, like the list it replaces

    def __getitem__(self, number):  # ints only: bisect and entry numbers need no slices
        offsets = self._offsets
        if number < 0:  # past the end, offsets[number + 1] raises the IndexError
            number = _from_end(number, len(offsets) - 1)
        start, end = offsets[number], offsets[number + 1]
        return self._blob[start:end].decode("utf-8", "surrogatepass") if end > start else ""


KINDS = ("query", "article", "topic")


class Entry(NamedTuple):
    """One thing that can be suggested; doc_id/slug locate articles and topics."""

    text: str
    kind: str  # one of KINDS
    weight: int
    doc_id: int | None = None
    slug: str = ""


_NO_DOC = -(2**63)  # doc_id None in PackedEntries' array: no row id is this


class PackedEntries(Sequence[Entry]):
    """The entries column by column (texts and slugs packed, kind, weight and doc_id in
    arrays); reading one builds its Entry. At 100,000 documents the 120,000 Entry tuples
    and their str and int objects took 29 MiB in every worker (packed: 6 MiB), and a
    lookup reads only the few dozen entries it may return."""

    def __init__(self, entries: Sequence[Entry]) -> None:
        self._texts = PackedStrings(entry.text for entry in entries)
        self._slugs = PackedStrings(entry.slug for entry in entries)
        self._kinds = array("b", (KINDS.index(entry.kind) for entry in entries))
        self._weights = array("q", (entry.weight for entry in entries))
        self._doc_ids = array(
            "q", (_NO_DOC if entry.doc_id is None else entry.doc_id for entry in entries)
        )

    def __len__(self) -> int:
        return len(self._kinds)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PackedEntries):
            return NotImplemented
        return vars(self) == vars(other)

    __hash__ = None  # type: ignore[assignment]  # equal by value, like the list it replaces

    def __getitem__(self, number):  # ints only, like PackedStrings
        if number < 0:  # past the end, the arrays raise the IndexError
            number = _from_end(number, len(self._kinds))
        doc_id = self._doc_ids[number]
        return Entry(
            self._texts[number],
            KINDS[self._kinds[number]],
            self._weights[number],
            None if doc_id == _NO_DOC else doc_id,
            self._slugs[number],
        )


@dataclass
class AutocompleteIndex:
    """Sorted keys, the entry number of each key, and the best entries of broad prefixes."""

    entries: Sequence[Entry] = field(default_factory=list)  # PackedEntries once built
    keys: Sequence[str] = field(default_factory=list)  # PackedStrings once built
    owners: array = field(default_factory=lambda: array("i"))
    broad: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def lookup(self, text: str, limit: int = LIMIT) -> list[Entry]:
        """Up to ``limit`` entries whose text, a word of it, or its pinyin starts with
        ``text``; heaviest first, one per distinct text."""
        typed = normalize_query(text) if isinstance(text, str) else ""
        if not typed or len(typed) > MAX_QUERY_CHARS:
            return []
        probes = {typed}
        if typed.replace(" ", "").isascii():
            probes.add(typed.replace(" ", ""))  # "tui huo" is pinyin for 退货 too
        numbers: set[int] = set()
        for probe in probes:
            numbers.update(self._best(probe, limit * 2))
        found, seen = [], set()
        for number in sorted(numbers):
            entry = self.entries[number]
            if entry.text not in seen and (len(typed) <= KEY_CHARS or _contains(entry, probes)):
                seen.add(entry.text)
                found.append(entry)
                if len(found) == limit:
                    break
        return found

    def _best(self, probe: str, want: int) -> list[int]:
        prefix = probe[:KEY_CHARS]
        if prefix in self.broad:
            return list(self.broad[prefix])
        low = bisect_left(self.keys, prefix)
        high = bisect_left(self.keys, prefix + _END, low)
        if len(probe) > KEY_CHARS:
            return list(self.owners[low:high])  # every one, to be checked in full
        return heapq.nsmallest(want, set(self.owners[low:high]))


def _contains(entry: Entry, probes: set[str]) -> bool:
    folded = fold(entry.text)
    compact = "".join(syllables(entry.text))
    return any(probe in folded or probe in compact for probe in probes)


def entry_keys(text: str) -> set[str]:
    """The keys an entry is found by: its folded text from the start and from each word,
    and for Chinese the pinyin from the same places (stop words keep their pinyin)."""
    folded = normalize_query(text)
    starts = sorted({0} | {token.start for token in analyze(folded, "query")})
    keys = {folded[start : start + KEY_CHARS] for start in starts}
    if has_cjk(folded):
        # Pinyin per stretch between word starts: short, repeated, so syllables() caches it.
        cuts = [*starts, len(folded)]
        pieces = ["".join(syllables(folded[a:b])) for a, b in itertools.pairwise(cuts)]
        for i in range(len(pieces)):
            keys.add("".join(pieces[i : i + KEY_CHARS])[:KEY_CHARS])
    keys.discard("")
    return keys


def build_autocomplete_index(entries: list[Entry], top: int = LIMIT * 2) -> AutocompleteIndex:
    """Sort ``entries`` heaviest first, key them, and precompute the broad prefixes."""
    entries = sorted(entries, key=lambda e: (-e.weight, e.text))
    pairs = sorted(
        (key, number) for number, entry in enumerate(entries) for key in entry_keys(entry.text)
    )
    index = AutocompleteIndex(
        entries, [key for key, _n in pairs], array("i", (number for _k, number in pairs))
    )
    del pairs
    frontier = [("", 0, len(index.keys))]
    while frontier:
        wider = []
        for prefix, low, high in frontier:
            position, length = low, len(prefix) + 1
            while position < high:
                key = index.keys[position]
                if len(key) < length:
                    position += 1
                    continue
                child = key[:length]
                end = bisect_left(index.keys, child + _END, position, high)
                if end - position > SCAN_LIMIT:
                    index.broad[child] = tuple(
                        heapq.nsmallest(top, set(index.owners[position:end]))
                    )
                    wider.append((child, position, end))
                position = end
        frontier = wider
    index.keys = PackedStrings(index.keys)
    index.entries = PackedEntries(index.entries)
    return index


def popular_queries() -> list[tuple[str, int]]:
    """(query, weight) of the queries fit to suggest to everybody: searched with results by
    SUGGESTION_MIN_SEARCHERS different visitors (one person's query stays theirs), without
    masked personal data or contact details, and not blocked by an editor."""
    blocked = set(db.session.scalars(select(BlockedSuggestion.query)))
    minimum = current_app.config["SUGGESTION_MIN_SEARCHERS"]
    return [
        (query, weight)
        for query, weight in successful_queries(MAX_QUERIES, minimum)
        if MASK_MARK not in query and query not in blocked and not has_contact_details(query)
    ]


def forget_index() -> None:
    """Rebuild this process's index on its next use (an editor blocked a suggestion)."""
    _cache.clear()


def load_entries() -> list[Entry]:
    """Popular successful queries, published articles and solved visible forum topics."""
    entries = [Entry(query, "query", weight) for query, weight in popular_queries()]
    rows = db.session.execute(
        select(Article.id, Article.slug, Article.title, Article.view_count).where(
            Article.status == "published"
        )
    )
    entries += [
        Entry(title, "article", views + 1, doc_id, slug) for doc_id, slug, title, views in rows
    ]
    rows = db.session.execute(
        select(Topic.id, Topic.title, Topic.view_count).where(
            Topic.accepted_post_id.is_not(None), Topic.hidden.is_(False), Topic.deleted_at.is_(None)
        )
    )
    entries += [Entry(title, "topic", views + 1, doc_id) for doc_id, title, views in rows]
    return entries


def build_from_database() -> AutocompleteIndex:
    """The index of the entries in the database now."""
    return build_autocomplete_index(load_entries())


def autocomplete_index() -> AutocompleteIndex:
    """This process's index, rebuilt after AUTOCOMPLETE_REFRESH_SECONDS (apart from the
    process for a large corpus: portal/searching/apart.py)."""
    return _cache.get(
        None,
        lambda: apart.build(build_from_database),
        meanwhile=lambda: build_autocomplete_index([]) if apart.builds_apart() else None,
    )


def install_index(index: AutocompleteIndex, app=None) -> None:
    """Use a ready-built index (benchmarks build theirs from synthetic titles)."""
    _cache.put(None, index, app)


def suggest(text: str, limit: int = LIMIT) -> list[Entry]:
    """What to offer for the text typed so far."""
    return autocomplete_index().lookup(text, limit)

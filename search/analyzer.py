"""The one text analyzer (fold, segment, stop, stem) for indexing, querying and analytics."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from functools import lru_cache, partial
from typing import NamedTuple

from whoosh.lang.porter2 import stem as _porter2_stem

from search.folding import fold
from search.han import is_han
from search.stopwords import STOP_WORDS

__all__ = [
    "Token",
    "add_user_words",
    "analyze",
    "fold",
    "is_cut_alone",
    "normalize_query",
    "set_user_words",
    "tokenize",
    "user_words",
]


class Token(NamedTuple):
    """One analysed token; start/end are offsets into the ORIGINAL (unfolded) text."""

    text: str
    position: int
    start: int
    end: int


_init_lock = threading.RLock()  # re-entrant: add_user_words segments while holding it
_segmenter = None  # rjieba, imported lazily (it loads its dictionary on import)
# Folded user word -> its parts as the segmenter cut it before the word was added, so the
# index still holds 青禾 and 笔记 for 青禾笔记 (search mode would only add dictionary parts).
_user_words: dict[str, tuple[str, ...]] = {}
# Bumped whenever the dictionary changes: caches of what a word segments into follow it.
dictionary_version = 0

# Parts of one segmenter word that become tokens: dotted numbers such as 4.2.1 or v4.2.1,
# otherwise runs of letters/digits (any script) with an optional ++ / # (c++, c#).
# Everything else (punctuation, symbols, emoji, NUL, whitespace) separates or is dropped.
_PART_RE = re.compile(r"[^\W_]*\d+(?:\.\d+)+|[^\W_]+(?:\+\+|#)?")


def _jieba():
    global _segmenter
    if _segmenter is None:
        with _init_lock:
            if _segmenter is None:
                import rjieba

                _segmenter = rjieba
    return _segmenter


def _stem(word: str) -> str:
    # Porter2 (Snowball English) rather than whoosh.lang.porter: the latter leaves
    # "shipping" as "shipp" while "ship" stays "ship", so the two never match.
    return _cached_porter2(word) if word.isascii() and word.isalpha() else word


# Only English words are cached: Chinese words and numbers come back as they are.
_cached_porter2 = lru_cache(maxsize=65536)(_porter2_stem)


@lru_cache(maxsize=262144)
def _word_terms(word: str) -> tuple[tuple[str, int, int], ...]:
    # (term, start, end) relative to the segmenter word, stop words removed and stemmed.
    # Cached: vocabularies are small next to corpora, so most words are seen before.
    return tuple(
        (_stem(m.group()), m.start(), m.end())
        for m in _PART_RE.finditer(word)
        if m.group() not in STOP_WORDS
    )


def _cached_in(cache: dict, word: str) -> tuple[tuple[str, int, int], ...]:
    terms = cache.get(word)
    if terms is None:
        terms = cache[word] = _word_terms.__wrapped__(word)
    return terms


@lru_cache(maxsize=65536)
def _long_subwords(word: str) -> tuple[tuple[str, int], ...]:
    # rjieba's search mode only adds 2- and 3-character dictionary sub-words, so a query for
    # a 4+ character word (客户服务) would miss a document where it sits inside a longer
    # dictionary word. Add dictionary sub-words of length 4..len-1 as well.
    has_word = _jieba().has_word
    return tuple(
        (word[i : i + n], i)
        for n in range(4, len(word))
        for i in range(len(word) - n + 1)
        if has_word(word[i : i + n])
    )


def _whole_word_flags(raw: list[tuple[str, int, int]]) -> list[bool]:
    # rjieba's search mode emits, for each ordinary word, its dictionary sub-words first and
    # then the word itself; the ordinary words tile the text. Walking backwards, a token that
    # ends at or before the start of the last whole word is the next whole word; anything
    # else lies inside the current whole word and is one of its sub-words.
    flags = [False] * len(raw)
    cover_start = None
    for i in range(len(raw) - 1, -1, -1):
        _, start, end = raw[i]
        if cover_start is None or end <= cover_start:
            flags[i] = True
            cover_start = start
    return flags


# Modal particles are stop words, but the segmenter also cuts them out of names it does not
# know (花呗 -> 花 + 呗, 借呗): one glued to a lone non-stop character before it and to more
# Han text after it is kept (a particle ending the sentence, as in 好吧, is not).
_NAME_PARTICLES = frozenset("吗呢吧啊呀嘛哦哈么啦喔呗哇嗯噢")
_PARTICLE_RE = re.compile("[" + "".join(sorted(_NAME_PARTICLES)) + "]")


def _is_lone_han(word: str) -> bool:
    return is_han(word)


def _kept_particles(
    text: str, raw: list[tuple[str, int, int]], flags: list[bool] | None
) -> set[int]:
    # Indexes of particles inside an unknown name: 呗 in 花呗怎么还 (not 吗 in 花呗吗).
    kept: set[int] = set()
    if not _PARTICLE_RE.search(text):
        return kept
    previous: tuple[str, int] | None = None  # the last whole word and where it ended
    for i, (word, start, end) in enumerate(raw):
        if flags is not None and not flags[i]:
            continue
        if (
            word in _NAME_PARTICLES
            and previous is not None
            and previous[1] == start
            and _is_lone_han(previous[0])
            and previous[0] not in STOP_WORDS
            and end < len(text)
            and _is_lone_han(text[end])
        ):
            kept.add(i)
        previous = (word, end)
    return kept


def analyze(text: str, mode: str = "query", *, word_cache: dict | None = None) -> list[Token]:
    """Fold, segment, drop stop words and stem ``text``.

    ``mode="index"`` also emits dictionary sub-words of long words (退货政策 -> 退货, 政策,
    客户服务 -> 客户, 服务, 客户服务); sub-words share the position of their word so phrase
    queries built from query-mode tokens still line up. Any other mode segments normally.
    ``word_cache``: a dict of the caller's to keep each word's terms in, instead of the
    process's cache: for one pass over many texts (a whole corpus's titles), whose rare
    words would otherwise stay in memory for the life of the process.
    """
    if not text:
        return []
    word_terms = _word_terms if word_cache is None else partial(_cached_in, word_cache)
    folded = fold(text)
    index = mode == "index"
    raw = _jieba().tokenize(folded, mode="search" if index else "default")
    flags = _whole_word_flags(raw) if index else None
    particles = _kept_particles(folded, raw, flags)
    tokens: list[Token] = []
    pending: list[tuple[str, int, int]] = []  # sub-words waiting for their whole word
    position = 0
    for i, (word, start, end) in enumerate(raw):
        if flags is not None:
            if not flags[i]:
                pending.append((word, start, end))
                continue
            if len(word) > 4 and not word.isascii():
                pending.extend((sub, start + offset, 0) for sub, offset in _long_subwords(word))
            if word in _user_words:
                pending.extend(_user_word_parts(word, start, pending))
        terms = ((word, 0, len(word)),) if i in particles else word_terms(word)
        if not pending and len(terms) == 1:  # the common case, kept cheap
            term, rel_start, rel_end = terms[0]
            tokens.append(Token(term, position, start + rel_start, start + rel_end))
            position += 1
            continue
        word_position = position
        group: list[Token] = []
        for term, rel_start, rel_end in terms:
            group.append(Token(term, position, start + rel_start, start + rel_end))
            position += 1
        if pending:
            # Sub-words of a stop-listed word are dropped along with it.
            if group:
                for sub, sub_start, _sub_end in pending:
                    for term, rel_start, rel_end in word_terms(sub):
                        group.append(
                            Token(term, word_position, sub_start + rel_start, sub_start + rel_end)
                        )
            pending = []
        if len(group) > 1:
            group = _dedupe(group)
        tokens.extend(group)
    return tokens


# Text either side of a character when judging whether the segmenter cuts it alone: its cut
# depends on nearby text only, and a short window costs microseconds where segmenting a
# whole body costs a millisecond or more.
_CUT_CONTEXT = 12


def is_cut_alone(folded: str, at: int) -> bool:
    """True when the segmenter cuts the character ``folded[at]`` of a folded text out as a
    word of its own (货 in 货到付款 is not, in 退 货 it is), judged on a window around it."""
    low = max(0, at - _CUT_CONTEXT)
    window = folded[low : at + 1 + _CUT_CONTEXT]
    return any(
        start == at - low and end == start + 1
        for _word, start, end in _jieba().tokenize(window, mode="default")
    )


def _user_word_parts(word: str, start: int, pending: list) -> list[tuple[str, int, int]]:
    # The remembered parts of a user word, minus those search mode already emitted.
    have = {sub for sub, _s, _e in pending}
    parts, offset = [], 0
    for part in _user_words[word]:
        if part not in have and len(part) > 1:
            parts.append((part, start + offset, 0))
        offset += len(part)
    return parts


def _dedupe(group: list[Token]) -> list[Token]:
    # Sort so positions never decrease (whoosh stores per-term position deltas) and keep a
    # term once per position, so repeated sub-words (哈哈 in 哈哈哈哈) do not inflate tf.
    group.sort(key=lambda t: (t.position, t.start, -t.end))
    seen: set[tuple[str, int]] = set()
    out = []
    for token in group:
        key = (token.text, token.position)
        if key not in seen:
            seen.add(key)
            out.append(token)
    return out


def tokenize(text: str, mode: str = "query") -> list[str]:
    """Return just the token texts of :func:`analyze`."""
    return [token.text for token in analyze(text, mode)]


def normalize_query(text: str) -> str:
    """Fold ``text`` and collapse whitespace; the canonical form stored in the search log."""
    return " ".join(fold(text).split())


def add_user_words(words: Iterable[str]) -> None:
    """Teach the segmenter product terms (e.g. 青禾笔记) so they are never cut apart. Words
    are folded first (segmentation runs on folded text); documents indexed earlier keep
    their old segmentation until re-indexed."""
    with _init_lock:
        _update_user_words(set(_user_words) | {_clean_word(word) for word in words})


def set_user_words(words: Iterable[str]) -> None:
    """Make ``words`` the whole user dictionary: new ones are added, missing ones removed."""
    with _init_lock:
        _update_user_words({_clean_word(word) for word in words})


def user_words() -> set[str]:
    """The folded user words currently known to the segmenter."""
    return set(_user_words)


def _clean_word(word: str) -> str:
    folded = fold(word).strip()
    return "" if any(ch.isspace() for ch in folded) else folded


def _update_user_words(wanted: set[str]) -> None:
    # Caller holds _init_lock.
    global dictionary_version
    seg = _jieba()
    wanted.discard("")
    for word in set(_user_words) - wanted:
        seg.add_word(word, 0, None)  # frequency 0: the segmenter no longer prefers it
        del _user_words[word]
    for word in wanted - set(_user_words):
        parts = tuple(seg.cut(word))  # before adding, so these are its ordinary parts
        # suggest_freq gives a frequency high enough for the word to win segmentation.
        seg.add_word(word, max(int(seg.suggest_freq(word)), 1), None)
        _user_words[word] = parts if len(parts) > 1 else ()
    _long_subwords.cache_clear()  # they depend on the dictionary
    dictionary_version += 1

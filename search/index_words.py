"""The analyzer's index-mode terms without offsets, for bulk indexing (rebuilds, apply()).

The same terms as ``analyzer.analyze(text, "index")`` (tests/search/test_analyzer.py holds
them equal) at a fraction of the cost: what a whole word adds to the index (its terms, its
sub-words' terms) depends on the word alone, so it is worked out once per distinct word and
kept while the dictionary stays. A text the cache knows every word of is segmented once
(rjieba's default mode, the whole words) and its fields are C-level joins of cached strings.
A text with a word not seen before goes through search mode once, as analyze() does, which
teaches the cache that word's sub-words.
"""

from __future__ import annotations

from itertools import accumulate
from operator import attrgetter
from typing import NamedTuple

from search import analyzer
from search.analyzer import (
    _NAME_PARTICLES,
    _is_lone_han,
    _jieba,
    _kept_particles,
    _long_subwords,
    _word_terms,
    fold,
)
from search.stopwords import STOP_WORDS

__all__ = ["index_text_folded", "index_words", "index_words_folded"]


class WordIndex(NamedTuple):
    """What one whole word adds: its terms, its sub-words' terms, and each space-joined."""

    terms: tuple[str, ...]
    sub: tuple[str, ...]
    terms_text: str
    sub_text: str


_NONE = WordIndex((), (), "", "")
# Whole word -> its WordIndex, for the dictionary of version _cache_version.
_cache: dict[str, WordIndex] = {}
_cache_version = -1
_CACHE_MAX = 262144
_terms_text = attrgetter("terms_text")
_sub_text = attrgetter("sub_text")


def index_words(text: str) -> tuple[list[str], list[str]]:
    """(whole words in order, their sub-words, each once per word) of ``text``."""
    return index_words_folded(fold(text))


def index_words_folded(folded: str) -> tuple[list[str], list[str]]:
    """:func:`index_words` of a text already folded (:func:`fold`)."""
    entries = _entries(folded)
    return [t for e in entries for t in e.terms], [t for e in entries for t in e.sub]


def index_text_folded(folded: str) -> tuple[str, str]:
    """:func:`index_words_folded`'s two lists, each joined by spaces (what engines store)."""
    entries = _entries(folded)
    return (
        " ".join(filter(None, map(_terms_text, entries))),
        " ".join(filter(None, map(_sub_text, entries))),
    )


def _entries(folded: str) -> list[WordIndex]:
    global _cache_version
    if not folded:
        return []
    if _cache_version != analyzer.dictionary_version or len(_cache) >= _CACHE_MAX:
        _cache.clear()  # a word's sub-words follow the dictionary
        _cache_version = analyzer.dictionary_version
    words = _jieba().cut(folded)  # the whole words search mode would give
    try:
        entries = list(map(_cache.__getitem__, words))
    except KeyError:
        return _learn(folded)
    if not _NAME_PARTICLES.isdisjoint(words):
        for i in _kept_particle_words(folded, words):
            entries[i] = _word_index(words[i], [], particle=True)
    return entries


def _learn(folded: str) -> list[WordIndex]:
    # Search mode, as analyze() segments: each whole word with the sub-words it emitted.
    raw = _jieba().tokenize(folded, mode="search")
    keys, at, flags = _whole_word_keys(raw)
    particles = _kept_particles(folded, raw, flags)
    entries = []
    for (word, subs), i in zip(keys, at, strict=True):
        if particles and i in particles:
            entries.append(_word_index(word, list(subs), particle=True))
            continue
        entry = _cache.get(word)
        if entry is None:
            entry = _cache[word] = _word_index(word, list(subs))
        entries.append(entry)
    return entries


def _whole_word_keys(raw: list[tuple[str, int, int]]) -> tuple[list, list[int], list[bool]]:
    # (whole word, the sub-words search mode emitted before it) in order, their indexes in
    # ``raw``, and analyzer._whole_word_flags(raw): one backward walk, as that makes it.
    keys: list[tuple[str, tuple[str, ...]]] = []
    at: list[int] = []
    flags = [False] * len(raw)
    cover_start = None
    subs: list[str] = []  # those of the whole word last found, backwards
    for i in range(len(raw) - 1, -1, -1):
        word, start, end = raw[i]
        if cover_start is None or end <= cover_start:
            if subs:
                keys[-1] = (keys[-1][0], tuple(reversed(subs)))
                subs = []
            keys.append((word, ()))
            at.append(i)
            flags[i] = True
            cover_start = start
        else:
            subs.append(word)
    if subs:
        keys[-1] = (keys[-1][0], tuple(reversed(subs)))
    keys.reverse()
    at.reverse()
    return keys, at, flags


def _kept_particle_words(folded: str, words: list[str]) -> list[int]:
    # analyzer._kept_particles over whole words alone (they tile the text, so each starts
    # where the one before it ends).
    ends = list(accumulate(map(len, words)))
    return [
        i
        for i in range(1, len(words))
        if words[i] in _NAME_PARTICLES
        and _is_lone_han(words[i - 1])
        and words[i - 1] not in STOP_WORDS
        and ends[i] < len(folded)
        and _is_lone_han(folded[ends[i]])
    ]


def _word_index(word: str, pending: list[str], particle: bool = False) -> WordIndex:
    # A whole word's terms, and the terms of its sub-words (search mode's, then longer
    # dictionary ones and a user word's parts), each once and not the word's first term.
    if len(word) > 4 and not word.isascii():
        pending.extend(part for part, _offset in _long_subwords(word))
    user_parts = analyzer._user_words.get(word)
    if user_parts is not None:
        have = set(pending)
        pending.extend(part for part in user_parts if part not in have and len(part) > 1)
    if particle:
        terms: tuple[str, ...] = (word,)
    else:
        terms = tuple(term for term, _s, _e in _word_terms(word))
        if not terms:
            return _NONE  # sub-words of a stop-listed word go with it
    seen = {terms[0]}
    sub = []
    for part in pending:
        for term, _s, _e in _word_terms(part):
            if term not in seen:
                seen.add(term)
                sub.append(term)
    return WordIndex(terms, tuple(sub), " ".join(terms), " ".join(sub))

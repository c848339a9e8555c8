"""Pinyin keys and a bounded edit distance: how a typed word is matched to a known one.

Shared by the did-you-mean lookup, autocomplete and article slugs. pypinyin is slow (about
20 µs a character), so keys are cached per word; titles repeat their words, so the cache
pays. pypinyin is imported on first use, with its phrase dictionary in a compact form."""

import json
import os
import re
import threading
from collections.abc import Callable
from functools import lru_cache
from importlib.resources import files

from portal.heap import release_free_heap
from search.analyzer import fold
from search.han import HAN_CHAR

_NOT_KEY = re.compile(r"[^a-z0-9]+")
_JSON_GAP = re.compile(r"[\s,:]*")
_load_lock = threading.Lock()
_converter: Callable[[str], list[str]] | None = None


def lazy_pinyin(text: str) -> list[str]:
    """pypinyin's lazy_pinyin(): toneless pinyin per Chinese character (read in context:
    银行 is yin hang), other text passed through in runs."""
    global _converter
    if _converter is None:
        with _load_lock:
            if _converter is None:
                _converter = _load_pypinyin()
    return _converter(text)


def _load_pypinyin() -> Callable[[str], list[str]]:
    # Imported here, not with the app: it costs about half a second. Its own loading of the
    # phrase dictionary decodes phrases_dict.json into ~600,000 objects, a list and a string
    # for every syllable of its ~47,000 phrases, which stay in every worker (~45 MiB with
    # the copies it makes). Told not to (the two switches pypinyin offers to save memory),
    # it gets the same phrases through load_phrases_dict() here: decoded one at a time, the
    # ~1,200 different syllable lists shared. Segmenting and reading text is unchanged.
    switches = {name: "1" for name in ("PYPINYIN_NO_PHRASES", "PYPINYIN_NO_DICT_COPY")}
    switches = {name: value for name, value in switches.items() if name not in os.environ}
    os.environ.update(switches)
    try:
        import pypinyin
        from pypinyin.constants import PHRASES_DICT
    finally:
        for name in switches:
            del os.environ[name]
    # Empty when it was told so here (not when the environment asked for no phrases, nor
    # when another module imported pypinyin first).
    if "PYPINYIN_NO_PHRASES" in switches and not PHRASES_DICT:
        pypinyin.load_phrases_dict(_compact_phrases())
    release_free_heap()  # the decoded file's text and the passing objects
    return pypinyin.lazy_pinyin


def _compact_phrases() -> dict[str, list[list[str]]]:
    """pypinyin's phrase dictionary ({phrase: [[syllable], ...]}), equal syllable lists
    shared, read without holding the whole decoded file at once."""
    data = files("pypinyin").joinpath("phrases_dict.json").read_text(encoding="utf-8")
    decoder = json.JSONDecoder()
    shared: dict[tuple[str, ...], list[str]] = {}
    phrases: dict[str, list[list[str]]] = {}
    position = _JSON_GAP.match(data, data.index("{") + 1).end()
    while data[position] != "}":
        phrase, position = decoder.raw_decode(data, position)
        readings, position = decoder.raw_decode(data, _JSON_GAP.match(data, position).end())
        phrases[phrase] = [shared.setdefault(tuple(reading), reading) for reading in readings]
        position = _JSON_GAP.match(data, position).end()
    return phrases


def has_cjk(text: str) -> bool:
    """Whether ``text`` holds at least one Chinese character."""
    return bool(HAN_CHAR.search(text))


@lru_cache(maxsize=200_000)
def syllables(text: str) -> tuple[str, ...]:
    """Toneless pinyin of ``text`` (folded first), one item per Chinese character; other
    text is kept as lower-case letters and digits."""
    parts = (_NOT_KEY.sub("", part.lower()) for part in lazy_pinyin(fold(text)))
    return tuple(part for part in parts if part)


def pinyin_key(text: str) -> str:
    """The pinyin of ``text`` without spaces: 退货, 腿货, tuihuo and "tui huo" share one key."""
    return "".join(syllables(text))


def edit_distance(a: str, b: str, limit: int) -> int | None:
    """Optimal-string-alignment distance (a swap of neighbours counts once), or None when it
    is above ``limit``; gives up early, so scanning a vocabulary stays cheap."""
    if abs(len(a) - len(b)) > limit:
        return None
    if a == b:
        return 0
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, 1):
            cost = char_a != char_b
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
        if min(current) > limit:
            return None
        previous2, previous = previous, current
    return previous[-1] if previous[-1] <= limit else None


def typo_limit(word: str) -> int:
    """Edits allowed for a word of this length: none below 3 letters, one up to 4, else two."""
    if len(word) < 3:
        return 0
    return 1 if len(word) <= 4 else 2

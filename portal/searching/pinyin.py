"""Pinyin keys and a bounded edit distance: how a typed word is matched to a known one.

Shared by the did-you-mean lookup and autocomplete. pypinyin is slow (about 20 µs a
character), so keys are cached per word; titles repeat their words, so the cache pays."""

import re
from functools import lru_cache

from search.analyzer import fold
from search.han import HAN_CHAR

_NOT_KEY = re.compile(r"[^a-z0-9]+")


def has_cjk(text: str) -> bool:
    """Whether ``text`` holds at least one Chinese character."""
    return bool(HAN_CHAR.search(text))


@lru_cache(maxsize=200_000)
def syllables(text: str) -> tuple[str, ...]:
    """Toneless pinyin of ``text`` (folded first), one item per Chinese character; other
    text is kept as lower-case letters and digits."""
    # Imported on first use: loading its phrase dictionary takes about half a second, which
    # every process paid at start-up (this module is imported with the search blueprint).
    from pypinyin import lazy_pinyin

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

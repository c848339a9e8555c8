"""Characters beside words: the single Han characters and overlapping Han bigrams of a text.

Real customers paraphrase (禁用 / 停用, 收钱码 / 收款码) and type words the segmenter does
not know (花呗 -> 花 + 呗), so every engine indexes the folded text's characters in two
fields of their own beside the word fields, and scores query characters against them
(weights in search/ranking.py). Only runs of Han characters are cut: Latin words are
already whole tokens, and their letters would only add noise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from search.analyzer import fold
from search.han import HAN_BLOCKS, HAN_CHAR, HAN_RUN
from search.query import ParsedQuery
from search.ranking import CHAR_MAX_DOCUMENT_SHARE, FUNCTION_CHAR_WEIGHT, UNIGRAM_WEIGHT
from search.stopwords import CHINESE_STOP_WORDS

__all__ = [
    "MAX_QUERY_GRAMS",
    "char_grams",
    "folded_grams_text",
    "grams_text",
    "informative_chars",
    "query_grams",
    "unigram_weight",
]

# Function characters (的, 吗, 我 …): query unigrams at ranking.FUNCTION_CHAR_WEIGHT.
_STOP_CHARS = frozenset(word for word in CHINESE_STOP_WORDS if len(word) == 1)
MAX_QUERY_GRAMS = 32  # per kind, like query.MAX_SHOULD_TERMS
# Every two Han characters in a row, overlapping: the bigrams of each run, in order.
_HAN_BIGRAM = re.compile(f"(?=({HAN_CHAR.pattern}{{2}}))")
# From this many characters on, the grams are cut with numpy (see _array_grams).
_ARRAY_FROM = 200


def char_grams(text: str) -> tuple[list[str], list[str]]:
    """(unigrams, bigrams) of the folded ``text``'s Han runs, in order, repeats kept (tf)."""
    unigrams: list[str] = []
    bigrams: list[str] = []
    for run in HAN_RUN.findall(fold(text)):
        unigrams.extend(run)
        bigrams.extend(run[i : i + 2] for i in range(len(run) - 1))
    return unigrams, bigrams


def grams_text(text: str) -> tuple[str, str]:
    """:func:`char_grams` as two space-joined token strings (unigrams, bigrams); joined
    by C-level loops, as rebuilds call it for every document."""
    return folded_grams_text(fold(text))


def folded_grams_text(folded: str) -> tuple[str, str]:
    """:func:`grams_text` of a text already folded (:func:`fold`)."""
    if len(folded) >= _ARRAY_FROM:
        return _array_grams(folded)
    unigrams = " ".join("".join(HAN_RUN.findall(folded)))
    return unigrams, " ".join(_HAN_BIGRAM.findall(folded))


def _array_grams(folded: str) -> tuple[str, str]:
    # folded_grams_text over the text's UTF-16 code units: a mask of the Han ones, and the
    # output strings written unit by unit (grams, spaces) instead of a regex match and a
    # Python string per gram. Every Han character is in the BMP, so one unit each; the
    # halves of a character beyond it are never Han, as the character is not.
    import numpy as np  # only for bulk indexing: most processes never load it

    units = np.frombuffer(folded.encode("utf-16-le", "surrogatepass"), np.uint16)
    han = np.zeros(len(units), bool)
    for first, last in HAN_BLOCKS:
        han |= (units >= first) & (units <= last)
    chars = units[han]
    if not len(chars):
        return "", ""
    one = np.full(2 * len(chars) - 1, ord(" "), np.uint16)
    one[0::2] = chars
    pairs = han[:-1] & han[1:]  # a Han character followed by another
    first = units[:-1][pairs]
    two = np.full(max(3 * len(first) - 1, 0), ord(" "), np.uint16)
    two[0::3] = first
    two[1::3] = units[1:][pairs]
    return _decode(one), _decode(two)


def _decode(units) -> str:
    return units.tobytes().decode("utf-16-le", "surrogatepass")


def query_grams(parsed: ParsedQuery) -> tuple[list[str], list[str]]:
    """Unique (unigrams, bigrams) of the query's positive text, capped at MAX_QUERY_GRAMS
    each; function characters are left out of the unigrams when
    ranking.FUNCTION_CHAR_WEIGHT is 0."""
    unigrams: dict[str, None] = {}
    bigrams: dict[str, None] = {}
    for text in parsed.positive_texts:
        one, two = char_grams(text)
        for char in one:
            if unigram_weight(char) and len(unigrams) < MAX_QUERY_GRAMS:
                unigrams.setdefault(char, None)
        for pair in two:
            if len(bigrams) < MAX_QUERY_GRAMS:
                bigrams.setdefault(pair, None)
    return list(unigrams), list(bigrams)


def unigram_weight(char: str) -> float:
    """What one matched query character weighs in the text score (search/ranking.py)."""
    return FUNCTION_CHAR_WEIGHT if char in _STOP_CHARS else UNIGRAM_WEIGHT


def informative_chars(
    unigrams: Sequence[str], documents_with: Callable[[str], int], documents: int
) -> list[str]:
    """The query characters worth scoring: those in at most
    ranking.CHAR_MAX_DOCUMENT_SHARE of the ``documents`` (``documents_with(char)`` counts
    them). The others add next to nothing to any score and cost the most to walk."""
    limit = CHAR_MAX_DOCUMENT_SHARE * documents
    return [char for char in unigrams if documents_with(char) <= limit]

"""Backend-neutral highlighting: escaped text with only <mark> added, from analyzer offsets.

analyze() offsets refer to the original text, so traditional script, full-width letters
and English inflections (refunds for a query refund) are marked where they stand.
"""

from __future__ import annotations

import html
import re
from collections.abc import Collection

from search.analyzer import analyze, fold, is_cut_alone

__all__ = [
    "HIGHLIGHT_MAX_CHARS",
    "SNIPPET_CHARS",
    "escape_text",
    "fallback_snippet",
    "sentence_window",
    "snippet_html",
    "title_html",
]

SNIPPET_CHARS = 160
SNIPPET_SURROUND = 50  # characters of context on either side of the matched cluster
# Highlighting re-analyses the stored body; long bodies are cut so one hit stays cheap.
HIGHLIGHT_MAX_CHARS = 20_000
_SENTENCE_ENDS = "。！？；!?;\n"
_SENTENCE_END = re.compile(f"[{re.escape(_SENTENCE_ENDS)}]")
# Where a snippet may start or stop between sentences: spaces and clause punctuation.
_WORD_EDGES = frozenset(" \t，、,：:（）()「」“”\"'")
_SPACES = re.compile(r"\s+")

Span = tuple[int, int]


def escape_text(text: str) -> str:
    """HTML-escape document text, collapsing runs of whitespace (offsets are resolved)."""
    return html.escape(_SPACES.sub(" ", text))


def fallback_snippet(text: str) -> str:
    """The escaped start of ``text`` (SNIPPET_CHARS at most, then an ellipsis)."""
    if len(text) <= SNIPPET_CHARS:
        return escape_text(text).strip()
    return escape_text(text[:SNIPPET_CHARS]).strip() + "…"


def sentence_window(text: str, first: int, last: int, surround: int) -> Span:
    """Bounds of ``text[first:last]`` widened by ``surround`` characters on each side but
    cut at the nearest sentence end, so a snippet starts and stops at sentence edges; where
    no sentence ends near, at a word edge (a space, or a Chinese comma) rather than inside a
    word."""
    start = max(0, first - surround)
    cut = -1
    for found in _SENTENCE_END.finditer(text, start, first):
        cut = found.start()
    if cut >= 0:
        start = cut + 1
    elif start > 0:
        start = _word_start(text, start, first)
    end = min(len(text), last + surround)
    found = _SENTENCE_END.search(text, last, end)
    if found:
        end = found.start() + 1
    elif end < len(text):
        end = _word_end(text, last, end)
    return start, end


def _word_start(text: str, start: int, limit: int) -> int:
    # The first word edge at or after ``start`` (never past ``limit``, the first match).
    edge = next((i + 1 for i in range(start - 1, limit) if text[i] in _WORD_EDGES), None)
    return edge if edge is not None and edge <= limit else start


def _word_end(text: str, limit: int, end: int) -> int:
    # The last word edge at or before ``end`` (never before ``limit``, the last match's end).
    edge = next((i for i in range(end, limit - 1, -1) if text[i] in _WORD_EDGES), None)
    return edge if edge is not None else end


def _matches(text: str, tokens: Collection[str], offset: int = 0) -> list[tuple[int, int, str]]:
    # (start, end, token) of every analysed token of ``text`` that the query asked for.
    return [
        (t.start + offset, t.end + offset, t.text)
        for t in analyze(text, "index")
        if t.text in tokens
    ]


def _likely_region(folded: str, tokens: Collection[str]) -> Span | None:
    # Segmenting a whole body costs about a millisecond per hit, so find the densest
    # cluster of plain substring hits in the folded text (fold keeps offsets) and analyse
    # only around it. Stems that are no substring (polici) find nothing: analyse it all.
    cluster = _densest(_substring_hits(folded, tokens), SNIPPET_CHARS - 2 * SNIPPET_SURROUND)
    if not cluster:
        return None
    margin = SNIPPET_SURROUND + 20  # room for the window and for whole words at its edges
    return max(0, cluster[0][0] - margin), cluster[-1][1] + margin


def _substring_hits(
    folded: str, tokens: Collection[str], limit: int = 1000
) -> list[tuple[int, int, str]]:
    # (start, end, token) of every occurrence of a token in the folded text (overlapping
    # ones too), the first ``limit`` in all, token by token.
    hits: list[tuple[int, int, str]] = []
    append, find = hits.append, folded.find
    room = limit
    for token in tokens:
        size = len(token)
        start = find(token)
        while start >= 0 and room > 0:
            append((start, start + size, token))
            room -= 1
            start = find(token, start + 1)
    return hits


def _needs_analysis(folded: str, tokens: Collection[str]) -> bool:
    # All-ASCII tokens (English stems such as polici, versions, c++) need the analyser to
    # be found where they stand, when the text may hold them at all (a stem keeps its
    # word's first letters). Han tokens never do (_han_hits); mixed ones are left to it.
    return any(token[:3] in folded for token in tokens if token and token.isascii())


# A lone Han character is checked with the segmenter at most this often per text: common
# characters (不, 用) occur hundreds of times in a long article, and the snippet needs one.
_LONE_CHECKS = 64


def _han_hits(folded: str, tokens: Collection[str]) -> list[tuple[int, int, str]]:
    # (start, end, token) of the tokens cut from the folded text as they stand: a word of
    # two or more characters wherever it occurs, a lone Han character only where the
    # segmenter cuts it alone, never inside another word (货 in 货运费).
    lone = [token for token in tokens if len(token) == 1 and not token.isascii()]
    hits = _substring_hits(folded, [token for token in tokens if token not in lone])
    for char in lone:
        found = _substring_hits(folded, [char], _LONE_CHECKS)
        hits.extend(hit for hit in found if is_cut_alone(folded, hit[0]))
    return hits


def _is_substring_token(token: str) -> bool:
    # Tokens other than English words are cut from the folded text as they stand.
    return not (token.isascii() and token.isalpha())


def _merged(matches: list[tuple[int, int, str]]) -> list[Span]:
    # A whole word and its sub-word may both match; mark their union once.
    spans: list[Span] = []
    for start, end, _ in sorted(matches):
        if spans and start < spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    return spans


def _marked(text: str, spans: list[Span], start: int, end: int) -> str:
    pieces, cursor = [], start
    for span_start, span_end in spans:
        if span_end <= start or span_start >= end:
            continue
        span_start, span_end = max(span_start, start), min(span_end, end)
        pieces.append(escape_text(text[cursor:span_start]))
        pieces.append("<mark>" + html.escape(text[span_start:span_end]) + "</mark>")
        cursor = span_end
    pieces.append(escape_text(text[cursor:end]))
    return "".join(pieces).strip()


def _densest(matches: list[tuple[int, int, str]], span: int) -> list[tuple[int, int, str]]:
    # The run of matches fitting in ``span`` characters with the most distinct tokens, then
    # the most matches; the earliest such run wins ties. One pass: the window's tokens are
    # counted as it slides, not collected again at each step.
    matches = sorted(matches)
    best, best_key = (0, -1), (0, 0)
    counts: dict[str, int] = {}
    left = distinct = 0
    for right, (_start, end, token) in enumerate(matches):
        seen = counts.get(token, 0)
        distinct += not seen
        counts[token] = seen + 1
        while end - matches[left][0] > span and left < right:
            gone = matches[left][2]
            counts[gone] -= 1
            distinct -= not counts[gone]
            left += 1
        key = (distinct, right - left + 1)
        if key > best_key:
            best, best_key = (left, right), key
    return matches[best[0] : best[1] + 1]


def snippet_html(body: str, tokens: Collection[str], folded: str | None = None) -> str:
    """About SNIPPET_CHARS of ``body`` around its densest cluster of query tokens, marked;
    the escaped start of the body when no token occurs in it. ``folded`` is fold(body) when
    the engine stored it (folding a long body costs more than the rest of the snippet)."""
    if not body:
        return ""
    if not tokens:
        return fallback_snippet(body)
    text = body[:HIGHLIGHT_MAX_CHARS]
    span = SNIPPET_CHARS - 2 * SNIPPET_SURROUND
    folded = folded[:HIGHLIGHT_MAX_CHARS] if folded is not None else fold(text)
    if len(folded) != len(text):  # stored by another version: fold it afresh
        folded = fold(text)
    if not _needs_analysis(folded, tokens):
        # Han tokens are cut from the folded text as they stand: find them as substrings
        # and skip analysing the body (a millisecond or more per hit).
        matches = _han_hits(folded, tokens)
        cluster = _densest(matches, span)
        return _snippet(body, text, matches, cluster)
    region = _likely_region(folded, tokens)
    matches: list[tuple[int, int, str]] = []
    cluster = []
    if region is not None:
        matches = _matches(text[region[0] : region[1]], tokens, region[0])
        cluster = _densest(matches, span)
    # Analysing everything costs a millisecond or more per hit, and finds nothing more
    # unless the substrings were parts of other words or a token is an English stem
    # (polici), which need not occur as a substring.
    if not cluster and (region is not None or not all(_is_substring_token(t) for t in tokens)):
        matches = _matches(text, tokens)
        cluster = _densest(matches, span)
    return _snippet(body, text, matches, cluster)


def _snippet(
    body: str, text: str, matches: list[tuple[int, int, str]], cluster: list[tuple[int, int, str]]
) -> str:
    if not cluster:
        return fallback_snippet(body)
    first = min(start for start, _, _ in cluster)
    last = max(end for _, end, _ in cluster)
    start, end = sentence_window(text, first, last, SNIPPET_SURROUND)
    # Only the matches the window shows are merged and marked (a long body has hundreds).
    shown = [match for match in matches if match[1] > start and match[0] < end]
    snippet = _marked(text, _merged(shown), start, end)
    return ("…" if start > 0 else "") + snippet + ("…" if end < len(body) else "")


def title_html(title: str, tokens: Collection[str]) -> str:
    """The whole title, escaped, with the query tokens in <mark>."""
    if not title or not tokens:
        return html.escape(title)
    folded = fold(title)
    if not _needs_analysis(folded, tokens):
        spans = _merged(_han_hits(folded, tokens))
    else:
        spans = _merged(_matches(title, tokens))
    return _marked(title, spans, 0, len(title)) if spans else html.escape(title)

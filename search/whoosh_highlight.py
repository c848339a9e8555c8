"""Snippet and title highlighting for Whoosh hits: HTML-escaped text plus <mark> only."""

from __future__ import annotations

import html
from collections.abc import Iterable, Iterator

from whoosh.highlight import (
    BasicFragmentScorer,
    Formatter,
    Fragment,
    Fragmenter,
    Highlighter,
    WholeFragmenter,
    get_text,
)

from search.highlight import (
    HIGHLIGHT_MAX_CHARS,
    SNIPPET_CHARS,
    escape_text,
    fallback_snippet,
    sentence_window,
)

__all__ = [
    "SNIPPET_FALLBACK_CHARS",
    "MarkFormatter",
    "SentenceWindowFragmenter",
    "snippet_html",
    "title_html",
]

SNIPPET_FALLBACK_CHARS = SNIPPET_CHARS


class SentenceWindowFragmenter(Fragmenter):
    """Windows of raw characters around matches, trimmed to sentence boundaries.

    Whoosh's ContextFragmenter budgets by summed token lengths, which ignores the
    punctuation between tokens and counts overlapping CJK sub-words twice, so its
    "200 chars" fragments came out 400+ characters long on Chinese text.
    """

    def __init__(self, surround: int = 50, maxchars: int = 160, charlimit: int = 0) -> None:
        self.surround = surround
        self.maxchars = maxchars
        self.charlimit = charlimit

    def fragment_tokens(self, text: str, tokens: Iterable) -> Iterator[Fragment]:
        """Group matched tokens that fit in one window and yield a fragment per group."""
        span = max(self.maxchars - 2 * self.surround, 1)
        group: list = []
        for token in tokens:
            if self.charlimit and token.endchar > self.charlimit:
                break
            if not token.matched:
                continue
            if group and token.endchar - group[0].startchar > span:
                yield self._fragment(text, group)
                group = []
            group.append(token.copy())
        if group:
            yield self._fragment(text, group)

    def _fragment(self, text: str, group: list) -> Fragment:
        first = min(t.startchar for t in group)
        last = max(t.endchar for t in group)
        start, end = sentence_window(text, first, last, self.surround)
        return Fragment(text, group, startchar=start, endchar=end)


class MarkFormatter(Formatter):
    """Wrap matches in <mark>; escape every piece of document text, matched or not."""

    between = " … "

    def _text(self, text: str) -> str:
        return escape_text(text)

    def format_token(self, text: str, token, replace: bool = False) -> str:
        """Return one escaped match wrapped in <mark>."""
        return "<mark>" + html.escape(get_text(text, token, replace)) + "</mark>"

    def format(self, fragments, replace: bool = False) -> str:
        """Join fragments; mark cut-off text at either end with an ellipsis."""
        fragments = list(fragments)
        if not fragments:
            return ""
        joined = super().format(fragments, replace=replace).strip()
        if fragments[0].startchar > 0:
            joined = "…" + joined
        if fragments[-1].endchar < len(fragments[-1].text):
            joined += "…"
        return joined


_basic_score = BasicFragmentScorer()


def _score_earlier_first(fragment: Fragment) -> float:
    # Whoosh's score, with ties going to the earlier fragment (whoosh picks the later one).
    return _basic_score(fragment) - fragment.startchar * 1e-9


_BODY = Highlighter(
    fragmenter=SentenceWindowFragmenter(charlimit=HIGHLIGHT_MAX_CHARS),
    scorer=_score_earlier_first,
    formatter=MarkFormatter(),
)
_TITLE = Highlighter(fragmenter=WholeFragmenter(), formatter=MarkFormatter())


def snippet_html(hit) -> str:
    """Return up to two highlighted body fragments, or the escaped start of the body."""
    body = hit.get("body") or ""
    if not body:
        return ""
    marked = _BODY.highlight_hit(hit, "body", text=body[:HIGHLIGHT_MAX_CHARS], top=2)
    return marked or fallback_snippet(body)


def title_html(hit) -> str:
    """Return the whole title with matched tokens in <mark>, always escaped."""
    title = hit.get("title") or ""
    if not title:
        return ""
    marked = _TITLE.highlight_hit(hit, "title", text=title, top=1, minscore=0)
    return marked or html.escape(title)

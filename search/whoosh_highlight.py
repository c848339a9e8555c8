"""Snippet and title highlighting for Whoosh hits: HTML-escaped text plus <mark> only."""

from __future__ import annotations

import html

from whoosh.highlight import (
    ContextFragmenter,
    Formatter,
    Highlighter,
    WholeFragmenter,
    get_text,
)

__all__ = ["SNIPPET_FALLBACK_CHARS", "MarkFormatter", "snippet_html", "title_html"]

SNIPPET_FALLBACK_CHARS = 160
# Highlighting re-analyses the stored body; long bodies are cut so one hit stays cheap.
HIGHLIGHT_MAX_CHARS = 20_000


class MarkFormatter(Formatter):
    """Wrap matches in <mark>; escape every piece of document text, matched or not."""

    between = " … "

    def _text(self, text: str) -> str:
        return html.escape(text)

    def format_token(self, text: str, token, replace: bool = False) -> str:
        """Return one escaped match wrapped in <mark>."""
        return "<mark>" + html.escape(get_text(text, token, replace)) + "</mark>"


_BODY = Highlighter(
    fragmenter=ContextFragmenter(maxchars=200, surround=80, charlimit=HIGHLIGHT_MAX_CHARS),
    formatter=MarkFormatter(),
)
_TITLE = Highlighter(fragmenter=WholeFragmenter(), formatter=MarkFormatter())


def _fallback(text: str) -> str:
    if len(text) <= SNIPPET_FALLBACK_CHARS:
        return html.escape(text)
    return html.escape(text[:SNIPPET_FALLBACK_CHARS]) + "…"


def snippet_html(hit) -> str:
    """Return up to two highlighted body fragments, or the escaped start of the body."""
    body = hit.get("body") or ""
    if not body:
        return ""
    marked = _BODY.highlight_hit(hit, "body", text=body[:HIGHLIGHT_MAX_CHARS], top=2)
    return marked or _fallback(body)


def title_html(hit) -> str:
    """Return the whole title with matched tokens in <mark>, always escaped."""
    title = hit.get("title") or ""
    if not title:
        return ""
    marked = _TITLE.highlight_hit(hit, "title", text=title, top=1, minscore=0)
    return marked or html.escape(title)

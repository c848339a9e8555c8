"""The one Markdown renderer and the one HTML sanitiser for everything users write.

Rendering is paid once, when a text is saved (the models keep the HTML beside the Markdown,
see portal/models/rendered.py); pages show the stored HTML. Its cost is bounded up front:
Python-Markdown's inline patterns rescan a paragraph from every unclosed "[" or "<", and
nested block quotes recurse per level, so such texts are refused at save and preview (and, if
one is already stored, shown as plain text) instead of taking seconds to minutes."""

import html
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import nh3
from flask_babel import lazy_gettext as _l

# The limits of every Markdown field and preview, in one place.
MAX_MARKDOWN_CHARS = 200_000
# Per paragraph, Python-Markdown rescans from each unclosed "[" or "<" in Python code, and
# from each match of its inline patterns with regular expressions. So two budgets, summed over
# paragraphs: (count of "[" and "<")², and (count of inline markup characters) × length.
# 1,000 brackets in a paragraph, or a 200,000-character paragraph of 5,000 "`", render in
# about 0.2 s on one core; 4,000 "[" in one paragraph took over 30 s.
MAX_BRACKET_WORK = 1_000_000
MAX_INLINE_WORK = 1_000_000_000
# The fenced-code extension searches the whole text again after each code block:
# (fence lines) × (text length). 250 fences in 200,000 characters take about 0.3 s.
MAX_FENCE_WORK = 50_000_000
# Block quotes and lists recurse once per level (1,000 levels overflow Python's stack).
MAX_NESTING = 20

# Code blocks: no inline parsing inside, so their brackets cost nothing.
_FENCED_CODE_RE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.M | re.S)
_FENCE_RE = re.compile(r"^[ \t]*(?:```|~~~)", re.M)
_PARAGRAPH_BREAK_RE = re.compile(r"\n[ \t]*\n")
_INLINE_MARKUP_RE = re.compile(r"[\[\]<>`*_~&!\\]")
# What opens a container at the start of a line: indentation, ">", list markers.
_CONTAINER_PREFIX_RE = re.compile(r"^(?:[ \t]|>|[-+*][ \t]|\d{1,9}[.)][ \t])*", re.M)
_CONTAINER_MARK_RE = re.compile(r">|[-+*\d][.)]?[ \t]")


def _nesting(prefix: str) -> int:
    """Containers a line opens: quotes, list markers, and four columns of indentation each."""
    return len(_CONTAINER_MARK_RE.findall(prefix)) + len(prefix.expandtabs(4)) // 4


_ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
_ALLOWED_ATTRIBUTES = {
    "*": {"class", "id"},
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"align", "style"},
    "th": {"align", "style"},
    "ol": {"start"},
}
_URL_SCHEMES = {"http", "https", "mailto"}


@dataclass
class RenderedMarkdown:
    html: str
    toc_html: str
    has_toc: bool


def sanitize_html(dirty: str) -> str:
    """Strip everything but a safe subset of HTML (no script, no event handlers, no js: URLs)."""
    return nh3.clean(
        dirty,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        filter_style_properties={"text-align"},
    )


def markdown_problem(source: str) -> str | None:
    """Why ``source`` would cost too much to render (a message for the writer), or None.
    Linear in the length of the text."""
    source = source or ""
    if len(source) > MAX_MARKDOWN_CHARS:
        return _l("The text may be at most %(n)d characters long.", n=MAX_MARKDOWN_CHARS)
    if len(_FENCE_RE.findall(source)) * len(source) > MAX_FENCE_WORK:
        return _l("The text has too many code blocks to be displayed; please remove some.")
    outside_code = _FENCED_CODE_RE.sub("", source)
    if max(map(_nesting, _CONTAINER_PREFIX_RE.findall(outside_code)), default=0) > MAX_NESTING:
        return _l("Quotes and lists may be nested at most %(n)d levels deep.", n=MAX_NESTING)
    paragraphs = _PARAGRAPH_BREAK_RE.split(outside_code)
    brackets = sum((p.count("[") + p.count("<")) ** 2 for p in paragraphs)
    inline = sum(len(_INLINE_MARKUP_RE.findall(p)) * len(p) for p in paragraphs)
    if brackets > MAX_BRACKET_WORK or inline > MAX_INLINE_WORK:
        return _l(
            "The text has too much markup ([, <, `, * or _) in one paragraph to be "
            "displayed; please split it into paragraphs or remove some."
        )
    return None


def _as_plain_text(source: str) -> str:
    """A text that fails markdown_problem(), shown as it was written (linear cost)."""
    return "<p>" + html.escape(source).replace("\n", "<br>\n") + "</p>"


# Texts rendered ahead (a bulk import renders in worker processes: portal/kb/render_ahead.py).
_AHEAD: ContextVar[dict[str, "RenderedMarkdown"] | None] = ContextVar(
    "rendered_ahead", default=None
)


@contextmanager
def rendered_ahead(rendered: dict[str, "RenderedMarkdown"] | None) -> Iterator[None]:
    """Within the block, render_markdown() of a text in ``rendered`` returns its entry."""
    token = _AHEAD.set(rendered)
    try:
        yield
    finally:
        _AHEAD.reset(token)


def render_markdown(source: str) -> RenderedMarkdown:
    """Markdown -> sanitised HTML with heading anchors, a table of contents, tables and
    highlighted code. A new Markdown object per call: they are not thread-safe.

    Call it when a text is saved, not on each view. A text markdown_problem() refuses (one
    saved before the limits existed) comes back as escaped plain text."""
    ahead = _AHEAD.get()
    if ahead is not None and (done := ahead.get(source)) is not None:
        return done
    if markdown_problem(source) is not None:
        return RenderedMarkdown(html=_as_plain_text(source), toc_html="", has_toc=False)
    # Imported on first use, like in markdown_to_text(): CLI commands that render nothing
    # skip it (this module is imported with the blueprints).
    import markdown
    from markdown.extensions.toc import slugify_unicode

    md = markdown.Markdown(
        extensions=["toc", "tables", "fenced_code", "codehilite", "sane_lists"],
        extension_configs={
            "toc": {"permalink": "#", "slugify": slugify_unicode, "toc_depth": "2-3"},
            "codehilite": {"guess_lang": False, "css_class": "codehilite"},
        },
    )
    body = sanitize_html(md.convert(source or ""))
    toc_tokens = getattr(md, "toc_tokens", [])
    return RenderedMarkdown(
        html=body,
        toc_html=sanitize_html(getattr(md, "toc", "")) if toc_tokens else "",
        has_toc=bool(toc_tokens),
    )


# markdown_to_text() of a text with no inline markup, HTML, code, tables or quotes is its lines
# with the markers of headings and list items taken off: Python-Markdown would do nothing
# else to it, at 1-3 ms an article (most of a reindex). Only texts where that holds are
# taken (tests/portal/test_markup_text.py compares both ways on generated texts); any other
# goes through Python-Markdown. Rejected: characters that start inline markup, raw HTML,
# entities, escapes, tables or fences, control characters; a line that starts with a space
# (code, nesting, blank-with-spaces), that is all "=" / "-" (setext heading, rule), or that
# starts with two list markers; a run of 8 spaces (markdown_problem() nesting); "#" outside a
# heading marker.
_NOT_PLAIN_RE = re.compile(r"[\\`*_\[\]<>&!|~\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_TWO_MARKERS_RE = re.compile(r"(?:[+-]|\d{1,9}[.)]) +(?:[+-]|\d{1,9}[.)]) ")
_HEADING_MARK_RE = re.compile(r"#{1,6} +")
# Python-Markdown's list item (OListProcessor.CHILD_RE without the indent we reject).
_ITEM_MARK_RE = re.compile(r"(?:\d+\.|[+-]) +")


def _plain_text(source: str) -> str | None:
    """markdown_to_text() of ``source`` without Python-Markdown, or None when the text is
    not one whose result is certain that way."""
    if len(source) > MAX_MARKDOWN_CHARS or _NOT_PLAIN_RE.search(source) or " " * 8 in source:
        return None
    hashes = "#" in source
    words: list[str] = []
    in_list = False
    block_start = True  # a list starts only on a block's first line; a heading ends a block
    for line in source.split("\n"):
        if not line:
            block_start = True
            continue
        if (
            line[0] == " "
            or (line[0] in "=-" and not line.strip(" =-"))
            or _TWO_MARKERS_RE.match(line)
        ):
            return None
        if hashes:
            heading = _HEADING_MARK_RE.match(line)
            text = line[heading.end() :] if heading else line
            if "#" in text:
                return None  # closing hashes, or a "#" Python-Markdown may take as one
            if heading:
                words.append(text)
                block_start = True
                continue
        item = _ITEM_MARK_RE.match(line)
        if block_start:
            in_list = item is not None
            block_start = False
        if in_list and item:
            content = line[item.end() :]
            if _ITEM_MARK_RE.match(content):
                return None  # a list inside the item
            words.append(content)
        else:
            words.append(line)
    return " ".join(" ".join(words).split())


_text_markdown = threading.local()  # one converter per thread, reset per text


def _rendered_text(source: str) -> str:
    """markdown_to_text() through Python-Markdown."""
    if markdown_problem(source) is not None:
        return " ".join((source or "").split())
    md = getattr(_text_markdown, "md", None)
    if md is None:
        import markdown  # see render_markdown()

        md = _text_markdown.md = markdown.Markdown(extensions=["tables", "fenced_code"])
    rendered = md.reset().convert(source or "")
    text = nh3.clean(rendered, tags=set())
    return " ".join(html.unescape(text).split())


def markdown_to_text(source: str) -> str:
    """Plain text of a Markdown document, for the search index and snippets."""
    text = _plain_text(source or "")
    return _rendered_text(source) if text is None else text

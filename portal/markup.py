"""The one Markdown renderer and the one HTML sanitiser for everything users write."""

import html
from dataclasses import dataclass

import nh3

_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre",
    "s", "span", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
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


def render_markdown(source: str) -> RenderedMarkdown:
    """Markdown -> sanitised HTML with heading anchors, a table of contents, tables and
    highlighted code. A new Markdown object per call: they are not thread-safe."""
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
        html=body, toc_html=sanitize_html(getattr(md, "toc", "")), has_toc=bool(toc_tokens)
    )


def markdown_to_text(source: str) -> str:
    """Plain text of a Markdown document, for the search index and snippets."""
    import markdown  # see render_markdown()

    rendered = markdown.markdown(source or "", extensions=["tables", "fenced_code"])
    text = nh3.clean(rendered, tags=set())
    return " ".join(html.unescape(text).split())

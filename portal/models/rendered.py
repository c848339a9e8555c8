"""Markdown columns render into their HTML columns when they are set, so a page shows stored
HTML and never renders on view (a costly text costs once, at save; see portal/markup.py)."""

from sqlalchemy import event

from portal.markup import render_markdown
from portal.models.downloads import DownloadFile
from portal.models.forum import Post, PostEdit
from portal.models.kb import Article


def _renders_into(markdown_attribute, html_attribute: str, toc_attribute: str | None = None):
    """Whenever ``markdown_attribute`` is assigned (constructor included), store its HTML."""

    @event.listens_for(markdown_attribute, "set")
    def render(target, value, _old, _initiator):
        rendered = render_markdown(value or "")
        setattr(target, html_attribute, rendered.html)
        if toc_attribute:
            setattr(target, toc_attribute, rendered.toc_html)


_renders_into(Post.body_md, "body_html")
_renders_into(PostEdit.old_body_md, "old_body_html")
_renders_into(Article.body_md, "body_html", "toc_html")
_renders_into(DownloadFile.release_notes_md, "release_notes_html")

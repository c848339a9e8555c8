"""《Title》 in an article's text links to the published article of that title, in the citing
article's language where its group has one (a reader of the zh-TW article lands on the zh-TW
version). Linked when the article is saved, like the rest of its HTML: a title that names no
published article stays plain text, and the editor is told (missing_titles). When an article
is published (or renamed) later, the articles already citing its title are linked then (an
import saves articles in any order)."""

import html
import re

from flask import current_app
from sqlalchemy import event, inspect, or_, select
from sqlalchemy.orm import Session

from portal.models import Article, ArticleCitation

# 《…》 on one line, without markup or nested brackets; long enough for any title.
_REFERENCE = re.compile(r"《([^《》<>\n]{1,200})》")
_TAG = re.compile(r"(<[^>]*>)")
_OPAQUE = {"a", "code", "pre"}  # text inside these is never linked (links do not nest)


def _text_parts(body_html: str):
    """(part, linkable) for each tag and text run of ``body_html`` (our sanitised HTML)."""
    depth = 0
    for part in _TAG.split(body_html):
        if part.startswith("<"):
            name = re.match(r"</?\s*([a-zA-Z0-9]+)", part)
            if name and name.group(1).lower() in _OPAQUE and not part.endswith("/>"):
                depth += -1 if part.startswith("</") else 1
                depth = max(depth, 0)
            yield part, False
        else:
            yield part, depth == 0


def cited_titles(body_html: str) -> list[str]:
    """The titles cited as 《…》 outside links and code, in order, each once."""
    titles: list[str] = []
    for part, linkable in _text_parts(body_html or ""):
        if linkable:
            for match in _REFERENCE.finditer(part):
                title = html.unescape(match.group(1)).strip()
                if title and title not in titles:
                    titles.append(title)
    return titles


def _targets(
    session: Session,
    titles: list[str],
    language: str,
    self_id: int | None,
    citing: Article | None = None,
) -> dict[str, Article]:
    """Title -> the article to link: the published article of that title in ``language``,
    else its group's published member in ``language``, else the article itself."""
    if not titles:
        return {}
    # Stored and about to be stored (before_flush: a status or title not yet in the table).
    pending = [obj for obj in list(session.new) + list(session.dirty) if isinstance(obj, Article)]
    stored = session.scalars(
        select(Article)
        .where(Article.title.in_(titles), Article.status == "published")
        .order_by(Article.id)
    ).all()
    found = sorted(
        {a for a in [*stored, *pending] if a.status == "published" and a.title in titles},
        key=lambda a: (a.id is None, a.id or 0),
    )
    targets: dict[str, Article] = {}
    for title in titles:
        # Never the citing article itself (a new one has no id yet: compared as an object).
        same_title = [
            a
            for a in found
            if a.title == title and a is not citing and (self_id is None or a.id != self_id)
        ]
        if not same_title:
            continue
        in_language = [a for a in same_title if a.language == language]
        article = in_language[0] if in_language else same_title[0]
        if not in_language:
            root = article.translation_of_id or article.id
            member = session.scalars(
                select(Article)
                .where(
                    or_(Article.id == root, Article.translation_of_id == root),
                    Article.language == language,
                    Article.status == "published",
                )
                .order_by(Article.id)
                .limit(1)
            ).first()
            article = member or article
        targets[title] = article
    return targets


def _article_path(slug: str) -> str:
    # Built from the URL map, not url_for: imports and CLI commands save without a request.
    return current_app.url_map.bind("localhost").build("kb.article", {"slug": slug})


def link_references(
    session: Session,
    body_html: str,
    language: str,
    self_id: int | None = None,
    citing: Article | None = None,
) -> str:
    """``body_html`` with each 《title》 of a published article made a link to it."""
    targets = _targets(session, cited_titles(body_html), language, self_id, citing)
    if not targets:
        return body_html

    def link(match: re.Match) -> str:
        target = targets.get(html.unescape(match.group(1)).strip())
        if target is None:
            return match.group(0)
        href = html.escape(_article_path(target.slug))
        return f'<a class="xref" href="{href}" hreflang="{target.language}">{match.group(0)}</a>'

    return "".join(
        _REFERENCE.sub(link, part) if linkable else part
        for part, linkable in _text_parts(body_html)
    )


def all_cited_titles(body_html: str) -> set[str]:
    """Every title written as 《…》 anywhere in ``body_html``, linked already or not (what
    the citations table records: a later rename must find linked citers too)."""
    return {t for t in (html.unescape(m).strip() for m in _REFERENCE.findall(body_html)) if t}


def _record_citations(article: Article) -> None:
    titles = all_cited_titles(article.body_html or "")
    if {c.title for c in article.citations} != titles:
        article.citations = [ArticleCitation(title=title) for title in sorted(titles)]


def missing_titles(
    body_html: str, language: str, self_id: int | None = None, session: Session | None = None
) -> list[str]:
    """Cited titles that name no published article (shown to the editor after a save)."""
    from portal.extensions import db

    session = session or db.session
    titles = cited_titles(body_html)
    with session.no_autoflush:
        linked = _targets(session, titles, language, self_id)
    return [title for title in titles if title not in linked]


@event.listens_for(Session, "before_flush")
def _link_on_save(session: Session, _context, _instances) -> None:
    """Every article whose text or language changed gets its references linked, whichever
    path saved it (editor, restore, import, forum topic turned article)."""
    articles = [obj for obj in list(session.new) + list(session.dirty) if isinstance(obj, Article)]
    changed = [
        a
        for a in articles
        if a.body_html and (a in session.new or _changed(a, "body_md", "language", "body_html"))
    ]
    cited = [
        a
        for a in articles
        if a.status == "published"
        and a.title
        and (a in session.new or _changed(a, "status", "title"))
    ]
    if not changed and not cited:
        return
    with session.no_autoflush:
        for article in cited:
            changed.extend(a for a in _citing(session, article) if a not in changed)
        for article in changed:
            linked = link_references(
                session, article.body_html, article.language, article.id, article
            )
            if linked != article.body_html:
                article.body_html = linked
            _record_citations(article)


def _citing(session: Session, article: Article) -> list[Article]:
    """Stored articles whose text cites ``article``'s title as 《…》."""
    query = (
        select(Article)
        .join(ArticleCitation, ArticleCitation.article_id == Article.id)
        .where(ArticleCitation.title == article.title)
    )
    if article.id is not None:
        query = query.where(Article.id != article.id)
    return list(session.scalars(query))


def _changed(obj, *names: str) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)

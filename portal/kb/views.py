"""Customer-facing knowledge base pages."""

import re
from dataclasses import replace

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select

from portal.extensions import db
from portal.forms import ConfirmForm, int_arg
from portal.kb import bp
from portal.kb.also_read import also_read_articles
from portal.kb.feedback import REASONS, current_vote, record_view, record_vote, valid_search_id
from portal.kb.follow import article_watch, toggle_article_watch
from portal.kb.forms import FeedbackForm
from portal.kb.queries import (
    articles_in,
    articles_tagged,
    category_sections,
    category_tree,
    popular_articles,
    recent_articles,
    related_articles,
    tag_by_name,
)
from portal.kb.translations import (
    is_outdated,
    localize,
    other_languages,
    reader_language,
)
from portal.markup import RenderedMarkdown
from portal.models import Article, Category
from portal.permissions import can_edit_articles
from portal.visitor import current_identity, is_own_record, visitor_key


@bp.route("/")
def home():
    return render_template(
        "kb/home.html",
        tree=category_tree(),
        popular=localize(popular_articles(), reader_language()),
        recent=localize(recent_articles(), reader_language()),
    )


@bp.route("/c/<slug>")
def category(slug: str):
    node = db.session.scalar(select(Category).where(Category.slug == slug)) or abort(404)
    language = reader_language()
    sections = [
        replace(s, articles=localize(s.articles, language)) for s in category_sections(node)
    ]
    return render_template(
        "kb/category.html",
        category=node,
        articles=localize(articles_in(node), language),
        sections=sections,
        tree=category_tree(),
    )


@bp.route("/tag/<name>")
def tag(name: str):
    found = tag_by_name(name) or abort(404)
    return render_template("kb/tag.html", tag=found, articles=articles_tagged(found))


class ArticleGone(Exception):
    """An archived article asked for by a reader: answered 410 with where to go instead."""

    def __init__(self, article: Article):
        self.article = article


def _visible_article(slug: str) -> Article:
    article = db.session.scalar(select(Article).where(Article.slug == slug)) or abort(404)
    # Drafts and archived articles are for editors only.
    if article.status != "published" and not can_edit_articles(current_user):
        if article.status == "archived":
            raise ArticleGone(article)
        abort(404)
    return article


@bp.errorhandler(ArticleGone)
def article_gone(gone: ArticleGone):
    replacement = gone.article.replaced_by
    if replacement is not None and replacement.status != "published":
        replacement = None
    return render_template("kb/gone.html", article=gone.article, replacement=replacement), 410


def stored_markdown(article: Article) -> RenderedMarkdown:
    """The HTML rendered when the article was saved (never rendered on view)."""
    toc = article.toc_html or ""
    return RenderedMarkdown(html=article.body_html or "", toc_html=toc, has_toc=bool(toc))


def _render_article(found: Article, form: FeedbackForm, status: int = 200):
    user_id, anon_id = current_identity()
    return render_template(
        "kb/article.html",
        article=found,
        rendered=stored_markdown(found),
        related=localize(related_articles(found), reader_language()),
        also_read=localize(also_read_articles(found), reader_language()),
        translations=other_languages(found),
        description=meta_description(found),
        following=(
            current_user.is_authenticated and article_watch(current_user.id, found.id) is not None
        ),
        outdated=is_outdated(found),
        vote=current_vote(found, user_id, anon_id, visitor_key()),
        feedback_reasons=REASONS,
        form=form,
    ), status


DESCRIPTION_CHARS = 160  # what search engines show of a page's description
_HEADING_LINK = re.compile(r'<a class="headerlink"[^>]*>.*?</a>')  # the "#" beside headings


def meta_description(article: Article) -> str:
    """The article's summary, else the start of its text, for search engines' snippets."""
    # From the HTML stored at save: a view never renders Markdown.
    text = (
        article.summary.strip()
        or Markup(  # noqa: S704 (sanitised at save; tags stripped)
            _HEADING_LINK.sub("", article.body_html or "")
        ).striptags()
    )
    return text if len(text) <= DESCRIPTION_CHARS else text[: DESCRIPTION_CHARS - 1] + "…"


@bp.route("/a/<slug>")
def article(slug: str):
    found = _visible_article(slug)
    user_id, anon_id = current_identity()
    search_id = int_arg("sid", ignore_bad=True)
    if found.status == "published":
        record_view(
            found, user_id, anon_id, valid_search_id(search_id, is_own_record), visitor_key()
        )
    return _render_article(found, FeedbackForm(sid=search_id or ""))


@bp.route("/a/<slug>/follow", methods=["POST"])
@login_required
def follow(slug: str):
    found = _visible_article(slug)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    following = toggle_article_watch(current_user, found)
    flash(
        _("You will be told when this article is updated.")
        if following
        else _("You no longer follow this article."),
        "success",
    )
    return redirect(url_for("kb.article", slug=found.slug), 303)


@bp.route("/a/<slug>/feedback", methods=["POST"])
def feedback(slug: str):
    found = _visible_article(slug)
    form = FeedbackForm()
    if not form.validate_on_submit():
        flash(_("Please choose yes or no (comments are limited to 1000 characters)."), "error")
        return _render_article(found, form, 400)
    user_id, anon_id = current_identity()
    search_id = valid_search_id(int_arg("sid", source=request.form, ignore_bad=True), is_own_record)
    helpful = form.helpful.data == "yes"
    vote = record_vote(
        found,
        helpful,
        form.comment.data or "",
        user_id,
        anon_id,
        search_id,
        visitor_key(),
        reason=form.reason.data or None,
    )
    if helpful or vote.reason:
        flash(_("Thank you for your feedback!"), "success")
        return redirect(url_for("kb.article", slug=found.slug) + "#feedback", 303)
    # A "no" without a reason (no JavaScript, or none picked): the page now asks why.
    flash(_("Thank you. What was wrong with it? Pick a reason below."), "success")
    return redirect(url_for("kb.article", slug=found.slug) + "#feedback-reason", 303)


@bp.route("/sitemap.xml")
def sitemap():
    """Published articles and categories for search engines (articles with their last change)."""
    articles = db.session.execute(
        select(Article.slug, Article.updated_at)
        .where(Article.status == "published")
        .order_by(Article.id)
    )
    categories = db.session.scalars(select(Category.slug).order_by(Category.id))
    xml = render_template("kb/sitemap.xml", articles=articles, categories=categories)
    return xml, 200, {"Content-Type": "application/xml; charset=utf-8"}


ROBOTS_TXT = """User-agent: *
Disallow: /search
Disallow: /forum/ask/
Disallow: /insights/
Disallow: /editor/
Disallow: /admin/
Disallow: /api/
"""


@bp.route("/robots.txt")
def robots():
    """Keep crawlers out of search, ask sessions and staff pages (they skew the figures)."""
    text = ROBOTS_TXT + f"Sitemap: {url_for('kb.sitemap', _external=True)}\n"
    return text, 200, {"Content-Type": "text/plain; charset=utf-8"}

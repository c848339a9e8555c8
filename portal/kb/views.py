"""Customer-facing knowledge base pages."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.extensions import db
from portal.kb import bp
from portal.kb.also_read import also_read_articles
from portal.kb.feedback import current_vote, record_view, record_vote, valid_search_id
from portal.kb.forms import FeedbackForm
from portal.kb.queries import (
    articles_in,
    articles_tagged,
    category_tree,
    popular_articles,
    recent_articles,
    related_articles,
    tag_by_name,
)
from portal.markup import render_markdown
from portal.models import Article, Category
from portal.permissions import can_edit_articles
from portal.visitor import current_identity, is_own_record, visitor_key


@bp.route("/")
def home():
    return render_template(
        "kb/home.html",
        tree=category_tree(),
        popular=popular_articles(),
        recent=recent_articles(),
    )


@bp.route("/c/<slug>")
def category(slug: str):
    node = db.session.scalar(select(Category).where(Category.slug == slug)) or abort(404)
    return render_template("kb/category.html", category=node, articles=articles_in(node),
                           tree=category_tree())


@bp.route("/tag/<name>")
def tag(name: str):
    found = tag_by_name(name) or abort(404)
    return render_template("kb/tag.html", tag=found, articles=articles_tagged(found))


def _visible_article(slug: str) -> Article:
    article = db.session.scalar(select(Article).where(Article.slug == slug)) or abort(404)
    # Drafts and archived articles are for editors only.
    if article.status != "published" and not can_edit_articles(current_user):
        abort(404)
    return article


def _render_article(found: Article, form: FeedbackForm, status: int = 200):
    user_id, anon_id = current_identity()
    return render_template(
        "kb/article.html",
        article=found,
        rendered=render_markdown(found.body_md),
        related=related_articles(found),
        also_read=also_read_articles(found),
        vote=current_vote(found, user_id, anon_id, visitor_key()),
        form=form,
    ), status


@bp.route("/a/<slug>")
def article(slug: str):
    found = _visible_article(slug)
    user_id, anon_id = current_identity()
    search_id = request.args.get("sid", type=int)
    if found.status == "published":
        record_view(found, user_id, anon_id, valid_search_id(search_id, is_own_record),
                    visitor_key())
    return _render_article(found, FeedbackForm(sid=search_id or ""))


@bp.route("/a/<slug>/feedback", methods=["POST"])
def feedback(slug: str):
    found = _visible_article(slug)
    form = FeedbackForm()
    if not form.validate_on_submit():
        flash(_("Please choose yes or no (comments are limited to 1000 characters)."), "error")
        return _render_article(found, form, 400)
    user_id, anon_id = current_identity()
    sid = form.sid.data
    search_id = valid_search_id(int(sid) if sid and sid.isdigit() else None, is_own_record)
    record_vote(found, form.helpful.data == "yes", form.comment.data or "", user_id, anon_id,
                search_id, visitor_key())
    flash(_("Thank you for your feedback!"), "success")
    return redirect(url_for("kb.article", slug=found.slug) + "#feedback", 303)


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
    return ROBOTS_TXT, 200, {"Content-Type": "text/plain; charset=utf-8"}

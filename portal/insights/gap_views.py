"""Insight pages for content gaps (needs and their actions) and per-article figures."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.editor.services import ArticleError
from portal.extensions import db
from portal.forms import int_arg
from portal.insights import bp
from portal.insights.article_stats import article_detail, articles_table, worst_helpful_table
from portal.insights.gaps import (
    NeedError,
    draft_article_for_need,
    find_needs,
    handled_needs,
    mark_handled,
    need_outcome,
)
from portal.insights.ranges import DateRange
from portal.insights.tables import Table, csv_response
from portal.insights.view_args import requested_range, strict_range
from portal.models import Article
from portal.permissions import editor_required

MAX_THRESHOLD = 100_000  # ?min= and ?min_votes=: counts no range reaches


def _csv_or_page(tables: list[Table]):
    """The CSV for ?csv=<name> (400 for a name this page has not), else None."""
    name = request.args.get("csv")
    if not name:
        return None
    for table in tables:
        if table.name == name:
            return csv_response(table)
    abort(400, description=_("There is no table “%(name)s” on this page.", name=name))


def needs_table(needs) -> Table:
    return Table(
        name="needs",
        title=_("Content needs"),
        columns=[
            _("Need"),
            _("Key"),
            _("Searches"),
            _("No result"),
            _("No click"),
            _("Previous range"),
            _("Change %"),
            _("Status"),
            _("Examples"),
        ],
        rows=[
            [
                n.label,
                n.key,
                n.searches,
                n.failed,
                n.unclicked,
                n.trend.previous,
                n.trend.percent,
                n.status,
                " | ".join(n.examples),
            ]
            for n in needs
        ],
    )


@bp.route("/gaps")
@editor_required
def gaps():
    rng, range_error = requested_range()
    min_searches = int_arg("min", 2, high=MAX_THRESHOLD)
    needs = find_needs(rng, min_searches=min_searches)
    response = _csv_or_page([needs_table(needs)])
    if response is not None:
        return response
    handled = [(row, need_outcome(row)) for row in handled_needs()]
    return render_template(
        "insights/gaps.html",
        rng=rng,
        range_error=range_error,
        min_searches=min_searches,
        needs=[n for n in needs if n.status != "handled"],
        handled=handled,
        articles={a.id: a for a in _linked_articles(needs, handled)},
    ), 400 if range_error else 200


def _linked_articles(needs, handled) -> list[Article]:
    ids = {n.content_need.article_id for n in needs if n.content_need}
    ids |= {row.article_id for row, _outcome in handled}
    ids.discard(None)
    found = (db.session.get(Article, i) for i in sorted(ids))
    return [a for a in found if a is not None]


def _action_range() -> DateRange:
    return strict_range(request.form)


def _back(rng: DateRange):
    return redirect(url_for("insights.gaps", **rng.query_args()), 303)


@bp.route("/gaps/draft", methods=["POST"])
@editor_required
def draft_for_need():
    rng = _action_range()
    try:
        article, created = draft_article_for_need(request.form.get("key", ""), current_user, rng)
    except (NeedError, ArticleError) as error:
        db.session.rollback()
        abort(400, description=str(error))
    if created:
        flash(
            _("A draft article was created for this need. Write the answer, then publish."),
            "success",
        )
    else:
        flash(_("This need already has a draft article."), "info")
    return redirect(url_for("editor.edit_article", article_id=article.id), 303)


@bp.route("/gaps/handled", methods=["POST"])
@editor_required
def need_handled():
    rng = _action_range()
    try:
        mark_handled(request.form.get("key", ""), current_user, rng)
    except NeedError as error:
        abort(400, description=str(error))
    flash(_("Marked as handled. Its searches are now compared before and after."), "success")
    return _back(rng)


@bp.route("/articles")
@editor_required
def articles():
    rng, range_error = requested_range()
    min_votes = int_arg("min_votes", 3, high=MAX_THRESHOLD)
    tables = [articles_table(rng), worst_helpful_table(rng, min_votes)]
    response = _csv_or_page(tables)
    if response is not None:
        return response
    return render_template(
        "insights/articles.html",
        rng=rng,
        tables=tables,
        min_votes=min_votes,
        range_error=range_error,
    ), 400 if range_error else 200


@bp.route("/articles/<int:article_id>")
@editor_required
def article(article_id: int):
    found = db.session.get(Article, article_id) or abort(404)
    rng, range_error = requested_range()
    detail = article_detail(found, rng)
    response = _csv_or_page([detail["reasons"], detail["comments"], detail["queries"]])
    if response is not None:
        return response
    return render_template(
        "insights/article.html", rng=rng, article=found, range_error=range_error, **detail
    ), 400 if range_error else 200

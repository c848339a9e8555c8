"""The editors' review list, and an article's owner, review-by date and "reviewed" button."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.clock import now
from portal.editor import bp
from portal.editor.review import REASONS, ReviewError, mark_reviewed, needs_review, set_review
from portal.extensions import db
from portal.forms import ConfirmForm, int_arg
from portal.inputs import FIRST_DAY, LAST_DAY, parse_day
from portal.models import Article
from portal.permissions import editor_required


@bp.route("/review")
@editor_required
def review_list():
    return render_template(
        "editor/review.html", items=needs_review(now().date()), reasons=REASONS, form=ConfirmForm()
    )


def _posted_article(article_id: int) -> Article:
    article = db.get_or_404(Article, article_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return article


@bp.route("/articles/<int:article_id>/review-settings", methods=["POST"])
@editor_required
def review_settings(article_id: int):
    article = _posted_article(article_id)
    owner_id = int_arg("owner_id", source=request.form)
    raw_day = (request.form.get("review_by") or "").strip()
    try:
        review_by = parse_day(raw_day) if raw_day else None
        set_review(article, owner_id, review_by, current_user)
    except ValueError as error:
        db.session.rollback()
        message = (
            str(error)
            if isinstance(error, ReviewError)
            else _(
                "The review date must be a day from %(first)s to %(last)s.",
                first=FIRST_DAY,
                last=LAST_DAY,
            )
        )
        flash(message, "error")
        return redirect(url_for("editor.edit_article", article_id=article.id), 303)
    flash(_("Owner and review date saved."), "success")
    return redirect(url_for("editor.edit_article", article_id=article.id), 303)


@bp.route("/articles/<int:article_id>/reviewed", methods=["POST"])
@editor_required
def reviewed(article_id: int):
    article = _posted_article(article_id)
    next_review = mark_reviewed(article, current_user, now().date())
    flash(_("Marked as reviewed; next review by %(day)s.", day=next_review), "success")
    if request.form.get("back") == "list":
        return redirect(url_for("editor.review_list"), 303)
    return redirect(url_for("editor.edit_article", article_id=article.id), 303)

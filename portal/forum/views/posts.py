"""Forum actions on one post: edit, delete, vote, accept, flag; and the live preview.

Thin: parse the request, call a service, render or redirect."""

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.extensions import db
from portal.forum import bp, services
from portal.forum.forms import EditPostForm, FlagForm
from portal.forum.moderation import AlreadyFlagged, flag_post
from portal.forum.services import ForumError, PostingForbidden
from portal.forum.views._common import (
    back_to,
    confirm_or_400,
    login_first,
    me,
    post_or_404,
    refused,
)
from portal.markup import markdown_problem, render_markdown


@bp.route("/p/<int:post_id>/edit", methods=["GET", "POST"])
@login_first
def edit_post(post_id: int):
    post = post_or_404(post_id)
    if not services.can_edit(current_user, post):
        return refused(PostingForbidden(_("You can only edit your own posts.")), back_to(post))
    form = EditPostForm()
    if request.method == "GET":
        form.body_md.data = post.body_md
        form.title.data = post.topic.title if post.is_question else None
    if form.validate_on_submit():
        title = form.title.data if post.is_question else None
        try:
            changed = services.edit_post(post, me(), body_md=form.body_md.data, title=title)
        except ForumError as error:
            db.session.rollback()
            return render_template(
                "forum/edit_post.html", form=form, post=post, error=str(error)
            ), error.status
        flash(_("Your changes are saved.") if changed else _("Nothing changed."), "success")
        return redirect(back_to(post))
    return render_template(
        "forum/edit_post.html", form=form, post=post
    ), 400 if form.errors else 200


@bp.route("/p/<int:post_id>/delete", methods=["POST"])
@login_first
def delete_post(post_id: int):
    post = post_or_404(post_id)
    confirm_or_400()
    try:
        topic_gone = services.delete_post(post, me())
    except ForumError as error:
        return refused(error, back_to(post))
    if topic_gone:
        flash(_("Your topic was deleted."), "success")
        return redirect(url_for("forum.index"))
    flash(_("Your post was deleted."), "success")
    return redirect(back_to(post))


@bp.route("/p/<int:post_id>/vote", methods=["POST"])
@login_first
def vote(post_id: int):
    post = post_or_404(post_id)
    confirm_or_400()
    try:
        services.vote(post, me())
    except ForumError as error:
        return refused(error, back_to(post))
    return redirect(back_to(post))


@bp.route("/p/<int:post_id>/accept", methods=["POST"])
@login_first
def accept(post_id: int):
    post = post_or_404(post_id)
    confirm_or_400()
    try:
        services.accept_answer(post.topic, post, me())
    except ForumError as error:
        return refused(error, back_to(post))
    flash(_("The answer is accepted: this question is solved."), "success")
    return redirect(back_to(post))


@bp.route("/p/<int:post_id>/flag", methods=["GET", "POST"])
@login_first
def flag(post_id: int):
    post = post_or_404(post_id)
    form = FlagForm()
    if form.validate_on_submit():
        try:
            flag_post(post, me(), form.reason.data)
        except AlreadyFlagged as error:
            # An everyday slip, not a failure: back to the post, told why nothing changed.
            db.session.rollback()
            flash(str(error), "info")
            return redirect(back_to(post), 303)
        except ForumError as error:
            db.session.rollback()
            form.reason.errors = [*form.reason.errors, str(error)]
            return render_template("forum/flag.html", form=form, post=post), error.status
        flash(_("Thank you. A moderator will look at this post."), "success")
        return redirect(back_to(post))
    return render_template("forum/flag.html", form=form, post=post), 400 if form.errors else 200


# -- live preview ---------------------------------------------------------------------------


@bp.route("/preview", methods=["POST"])
def preview():
    """Live preview with the one renderer and sanitiser (CSRF via the X-CSRFToken header)."""
    if not current_user.is_authenticated:
        return jsonify({"error": _("Please log in first."), "status": 401}), 401
    payload = request.get_json(silent=True) or {}
    source = payload.get("markdown", "")
    if not isinstance(source, str) or len(source) > services.BODY_MAX_CHARS:
        return jsonify({"error": _("The preview text is missing or too long."), "status": 400}), 400
    if problem := markdown_problem(source):
        return jsonify({"error": str(problem), "status": 400}), 400
    return jsonify({"html": render_markdown(source).html})

"""Thin views over portal.search_tuning.services; errors re-render the page with 400."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.extensions import db
from portal.models import BlockedSuggestion, SynonymGroup, UserWord
from portal.permissions import editor_required
from portal.search_tuning import bp
from portal.search_tuning.blocked import (
    block_suggestion,
    list_blocked,
    suggested_queries,
    unblock_suggestion,
)
from portal.search_tuning.services import (
    TuningError,
    add_word,
    delete_group,
    delete_word,
    list_groups,
    list_words,
    save_group,
)


def _page(status: int = 200, **typed):
    # ``typed`` carries what the editor typed into the form that failed, so it is kept.
    return render_template(
        "editor/search_tuning.html",
        groups=list_groups(),
        words=list_words(),
        typed_group=typed.get("typed_group", ""),
        typed_word=typed.get("typed_word", ""),
        editing_id=typed.get("editing_id"),
        typed_edit=typed.get("typed_edit", ""),
        blocked=list_blocked(),
        suggested=suggested_queries(),
        typed_block=typed.get("typed_block", ""),
    ), status


@bp.route("")
@editor_required
def index():
    return _page()


@bp.route("/groups", methods=["POST"])
@bp.route("/groups/<int:group_id>", methods=["POST"])
@editor_required
def save(group_id: int | None = None):
    group = db.get_or_404(SynonymGroup, group_id) if group_id else None
    terms = request.form.get("terms", "")
    try:
        save_group(group, terms, current_user.id)
    except TuningError as error:
        db.session.rollback()
        flash(str(error), "error")
        if group is None:
            return _page(400, typed_group=terms)
        return _page(400, editing_id=group.id, typed_edit=terms)
    flash(_("Synonym group saved. Searches use it right away."), "success")
    return redirect(url_for("search_tuning.index"))


@bp.route("/groups/<int:group_id>/delete", methods=["POST"])
@editor_required
def remove_group(group_id: int):
    delete_group(db.get_or_404(SynonymGroup, group_id))
    flash(_("Synonym group deleted."), "success")
    return redirect(url_for("search_tuning.index"))


@bp.route("/words", methods=["POST"])
@editor_required
def add_term():
    word = request.form.get("word", "")
    try:
        add_word(word, current_user.id)
    except TuningError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _page(400, typed_word=word)
    flash(_("Product term added; the content that contains it was reindexed."), "success")
    return redirect(url_for("search_tuning.index"))


@bp.route("/words/<int:word_id>/delete", methods=["POST"])
@editor_required
def remove_term(word_id: int):
    delete_word(db.get_or_404(UserWord, word_id))
    flash(_("Product term removed; the content that contains it was reindexed."), "success")
    return redirect(url_for("search_tuning.index"))


@bp.route("/suggestions/block", methods=["POST"])
@editor_required
def block():
    text = request.form.get("query", "")
    try:
        block_suggestion(text, current_user.id)
    except TuningError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _page(400, typed_block=text)
    flash(_("The suggestion is no longer offered."), "success")
    return redirect(url_for("search_tuning.index"))


@bp.route("/suggestions/<int:blocked_id>/delete", methods=["POST"])
@editor_required
def unblock(blocked_id: int):
    unblock_suggestion(db.get_or_404(BlockedSuggestion, blocked_id))
    flash(_("The suggestion may be offered again."), "success")
    return redirect(url_for("search_tuning.index"))

"""Category and tag management for editors."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.editor import bp
from portal.editor.forms import CategoryForm, TagForm
from portal.editor.taxonomy import (
    TaxonomyError,
    delete_category,
    delete_tag,
    rename_tag,
    save_category,
    tags_with_counts,
)
from portal.extensions import db
from portal.forms import ConfirmForm, options
from portal.kb.queries import category_choices, category_tree
from portal.models import Category, Tag
from portal.permissions import editor_required


@bp.route("/categories", methods=["GET", "POST"])
@bp.route("/categories/<int:category_id>", methods=["GET", "POST"])
@editor_required
def categories(category_id: int | None = None):
    category = db.get_or_404(Category, category_id) if category_id else None
    form = CategoryForm(obj=category)
    form.parent_id.choices = options(category_choices(exclude=category))
    status = 200
    if form.validate_on_submit():
        try:
            save_category(
                category,
                name=form.name.data,
                name_en=form.name_en.data or "",
                slug=form.slug.data.strip(),
                parent_id=form.parent_id.data,
                description=form.description.data or "",
                description_en=form.description_en.data or "",
                position=form.position.data or 0,
                actor=current_user,
            )
        except TaxonomyError as error:
            db.session.rollback()
            flash(str(error), "error")
            status = 400
        else:
            flash(_("Category saved."), "success")
            return redirect(url_for("editor.categories"))
    elif form.errors:
        status = 400
    return render_template(
        "editor/categories.html",
        form=form,
        category=category,
        tree=category_tree(),
        confirm=ConfirmForm(),
    ), status


@bp.route("/categories/<int:category_id>/delete", methods=["POST"])
@editor_required
def remove_category(category_id: int):
    category = db.get_or_404(Category, category_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        delete_category(category, current_user)
    except TaxonomyError as error:
        flash(str(error), "error")
    else:
        flash(_("Category deleted."), "success")
    return redirect(url_for("editor.categories"))


@bp.route("/tags")
@editor_required
def tags():
    return render_template(
        "editor/tags.html", tags=tags_with_counts(), form=TagForm(), confirm=ConfirmForm()
    )


@bp.route("/tags/<int:tag_id>/rename", methods=["POST"])
@editor_required
def rename(tag_id: int):
    tag = db.get_or_404(Tag, tag_id)
    form = TagForm()
    if not form.validate_on_submit():
        flash(_("A tag name is required (at most 50 characters)."), "error")
        return redirect(url_for("editor.tags"))
    rename_tag(tag, form.name.data, current_user)
    flash(_("Tag renamed."), "success")
    return redirect(url_for("editor.tags"))


@bp.route("/tags/<int:tag_id>/delete", methods=["POST"])
@editor_required
def remove_tag(tag_id: int):
    tag = db.get_or_404(Tag, tag_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    delete_tag(tag, current_user)
    flash(_("Tag deleted."), "success")
    return redirect(url_for("editor.tags"))

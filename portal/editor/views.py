"""Article authoring views: list, create, edit, publish/archive, revisions, preview."""

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from portal.editor import bp
from portal.editor.diff import diff_fields, diff_text
from portal.editor.forms import ArticleForm
from portal.editor.images import external_images
from portal.editor.review import owner_choices, review_due
from portal.editor.services import (
    ArticleData,
    ArticleError,
    EditConflict,
    change_status,
    clean_tags,
    latest_revision_number,
    restore_revision,
    save_article,
)
from portal.editor.slugs import title_slug
from portal.extensions import db
from portal.forms import ConfirmForm, int_arg, options
from portal.kb.cross_refs import missing_titles
from portal.kb.queries import category_choices
from portal.kb.translations import (
    TranslationError,
    check_translation,
    group_members,
    is_outdated,
    link_translation,
    mark_up_to_date,
    missing_languages,
    translation_draft,
)
from portal.markup import MAX_MARKDOWN_CHARS, markdown_problem, render_markdown
from portal.models import Article
from portal.models.kb import LANGUAGES
from portal.permissions import editor_required
from portal.template_helpers import status_label

REVISION_FIELDS = ("title", "summary", "status", "language", "category_id", "tags")


def _article_or_404(article_id: int) -> Article:
    return db.get_or_404(Article, article_id)


@bp.route("/")
@editor_required
def articles():
    status = request.args.get("status", "")
    text = request.args.get("q", "").strip()[:100]
    query = select(Article).order_by(Article.updated_at.desc())
    if status in ("draft", "published", "archived"):
        query = query.where(Article.status == status)
    if text:
        like = f"%{text}%"
        query = query.where(or_(Article.title.ilike(like), Article.slug.ilike(like)))
    return render_template(
        "editor/articles.html",
        articles=db.session.scalars(query.limit(300)).all(),
        status=status,
        q=text,
    )


def _form_data(form: ArticleForm) -> ArticleData:
    return ArticleData(
        title=form.title.data or "",
        slug=(form.slug.data or "").strip(),
        body_md=form.body_md.data or "",
        category_id=form.category_id.data,
        language=form.language.data,
        status=form.status.data,
        summary=form.summary.data or "",
        tags=clean_tags([form.tags.data or ""]),
    )


def _render_form(
    form: ArticleForm, article: Article | None, status: int = 200, source: Article | None = None
):
    group = group_members(article) if article is not None else []
    return render_template(
        "editor/edit.html",
        form=form,
        article=article,
        source=source,
        group=[(member, is_outdated(member)) for member in group if member is not article],
        missing=missing_languages(article) if article is not None else [],
        owners=owner_choices(),
        review_due=review_due(article) if article is not None else None,
    ), status


def _translation_source() -> Article | None:
    """The original named by the posted translation_of field (None when empty); 400 when
    it is not a whole number."""
    article_id = int_arg("translation_of", source=request.form)
    return db.session.get(Article, article_id) if article_id is not None else None


@bp.route("/articles/new", methods=["GET", "POST"])
@editor_required
def new_article():
    source_id = int_arg("translate_from", ignore_bad=True)
    source = db.session.get(Article, source_id) if source_id is not None else None
    language = request.args.get("language", "")
    draft = translation_draft(source, language) if source and language in LANGUAGES else {}
    form = ArticleForm(data=draft) if request.method == "GET" else ArticleForm()
    form.category_id.choices = options(category_choices())
    if form.validate_on_submit():
        source = _translation_source()
        if form.translation_of.data and source is None:
            flash(_("The article to translate no longer exists."), "error")
            return _render_form(form, None, 400)
        try:
            root = check_translation(source, form.language.data)
            article, _changed = save_article(
                None, _form_data(form), current_user.id, form.note.data or _("Created")
            )
        except (ArticleError, TranslationError) as error:
            db.session.rollback()
            flash(str(error), "error")
            return _render_form(form, None, 400, source)
        if root is not None:
            link_translation(article, root)
            db.session.commit()
        flash(_("Article saved."), "success")
        _warn_unlinked_titles(article)
        return redirect(url_for("editor.edit_article", article_id=article.id))
    return _render_form(form, None, 400 if form.errors else 200, source)


def _warn_unlinked_titles(article: Article) -> None:
    """《Title》 references that name no published article stay plain text: say which."""
    for title in missing_titles(article.body_html or "", article.language, article.id):
        flash(
            _(
                "No published article is titled “%(title)s”: 《%(title)s》 is shown as plain "
                "text, not as a link.",
                title=title,
            ),
            "info",
        )


@bp.route("/articles/<int:article_id>/edit", methods=["GET", "POST"])
@editor_required
def edit_article(article_id: int):
    article = _article_or_404(article_id)
    form = ArticleForm(obj=article) if request.method == "GET" else ArticleForm()
    form.category_id.choices = options(category_choices())
    if request.method == "GET":
        form.tags.data = ", ".join(article.tag_names)
        form.base_revision.data = str(latest_revision_number(article))
        form.note.data = ""
    if form.validate_on_submit():
        base_revision = int_arg("base_revision", source=request.form, low=0)
        try:
            check_translation(article, form.language.data, article)
            _article, changed = save_article(
                article,
                _form_data(form),
                current_user.id,
                form.note.data or "",
                base_revision=base_revision,
            )
        except (ArticleError, TranslationError) as error:
            db.session.rollback()
            flash(str(error), "error")
            return _render_form(form, article, 409 if isinstance(error, EditConflict) else 400)
        if changed and article.translation_of_id is not None:
            mark_up_to_date(article)  # an editor's save brings a translation up to date
            db.session.commit()
        flash(_("Article saved.") if changed else _("Nothing changed."), "success")
        _warn_unlinked_titles(article)
        return redirect(url_for("editor.edit_article", article_id=article.id))
    return _render_form(form, article, 400 if form.errors else 200)


@bp.route("/articles/<int:article_id>/status", methods=["POST"])
@editor_required
def set_status(article_id: int):
    article = _article_or_404(article_id)
    form = ConfirmForm()
    status = request.form.get("status", "")
    if not form.validate_on_submit():
        abort(400)
    replacement_slug = (request.form.get("replaced_by") or "").strip()[:120]
    replacement = db.session.scalar(select(Article).where(Article.slug == replacement_slug))
    try:
        if replacement_slug and replacement is None:
            raise ArticleError(_("No article has the slug “%(slug)s”.", slug=replacement_slug))
        changed = change_status(article, status, current_user.id, replaced_by=replacement)
    except ArticleError as error:
        flash(str(error), "error")
        return redirect(url_for("editor.edit_article", article_id=article.id)), 303
    if changed:
        flash(_("Status changed to %(status)s.", status=status_label(status)), "success")
    return redirect(url_for("editor.edit_article", article_id=article.id))


@bp.route("/articles/<int:article_id>/revisions")
@editor_required
def revisions(article_id: int):
    article = _article_or_404(article_id)
    return render_template("editor/revisions.html", article=article, form=ConfirmForm())


@bp.route("/articles/<int:article_id>/revisions/<int:number>")
@editor_required
def revision(article_id: int, number: int):
    article = _article_or_404(article_id)
    revs = {r.number: r for r in article.revisions}
    current = revs.get(number) or abort(404)
    against = int_arg("against", low=0)
    previous = revs.get(against if against is not None else number - 1)
    body_rows = diff_text(previous.body_md if previous else "", current.body_md)
    field_changes = diff_fields(previous, current, REVISION_FIELDS) if previous else []
    return render_template(
        "editor/revision.html",
        article=article,
        revision=current,
        previous=previous,
        rows=body_rows,
        field_changes=field_changes,
        form=ConfirmForm(),
    )


@bp.route("/articles/<int:article_id>/revisions/<int:number>/restore", methods=["POST"])
@editor_required
def restore(article_id: int, number: int):
    article = _article_or_404(article_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        restore_revision(article, number, current_user.id)
    except ArticleError as error:
        flash(str(error), "error")
        return redirect(url_for("editor.revisions", article_id=article.id))
    flash(_("Revision %(number)d restored as a new revision.", number=number), "success")
    return redirect(url_for("editor.edit_article", article_id=article.id))


@bp.route("/slug")
@editor_required
def suggest_slug():
    """A free, readable slug for the title typed so far (the new-article form fills it in)."""
    title = request.args.get("title", "")[:200]
    return jsonify({"slug": title_slug(title, fallback="article") if title.strip() else ""})


@bp.route("/preview", methods=["POST"])
@editor_required
def preview():
    """Live preview: the same renderer and sanitiser as the article page (CSRF via header)."""
    payload = request.get_json(silent=True) or {}
    source = payload.get("markdown", request.form.get("markdown", ""))
    if not isinstance(source, str) or len(source) > MAX_MARKDOWN_CHARS:
        return jsonify({"error": _("The preview text is missing or too long.")}), 400
    if problem := markdown_problem(source):
        return jsonify({"error": str(problem)}), 400
    rendered = render_markdown(source)
    warnings = [
        _("This image is on another site and will not be shown: %(url)s", url=url)
        for url in external_images(rendered.html)
    ]
    return jsonify({"html": rendered.html, "toc": rendered.toc_html, "warnings": warnings})

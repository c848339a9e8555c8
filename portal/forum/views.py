"""Forum pages for everyone: lists, topics, posting, editing, votes, answers, watches, flags.

Thin: parse the request, call a service, render or redirect. Moderation views live in
moderation_views.py (imported at the bottom so their routes are registered too)."""

from functools import wraps

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.extensions import db
from portal.forms import ConfirmForm, int_arg, page_arg
from portal.forum import bp, queries, services, watching
from portal.forum.forms import EditPostForm, FlagForm, MoveForm, ReplyForm, TopicForm
from portal.forum.moderation import AlreadyFlagged, flag_post
from portal.forum.services import ForumError, PostingForbidden
from portal.kb.feedback import MAX_ROW_ID
from portal.markup import markdown_problem, render_markdown
from portal.models import Post, Topic
from portal.visitor import visitor_key

# -- helpers shared with moderation_views ---------------------------------------------------

def me():
    """The logged-in user object itself (services keep it on new rows)."""
    return current_user._get_current_object()


def refused(error: ForumError, back: str | None = None):
    """A page that says plainly why the action was refused; nothing was saved."""
    db.session.rollback()
    return render_template("errors/error.html", code=error.status, message=str(error),
                           back=back or url_for("forum.index")), error.status


def confirm_or_400() -> None:
    if not ConfirmForm().validate_on_submit():
        abort(400)


def topic_or_404(topic_id: int) -> Topic:
    """Deleted topics are gone for everyone; hidden ones remain visible to moderators."""
    topic = db.get_or_404(Topic, topic_id)
    if topic.deleted_at is not None or (topic.hidden and not services.is_moderator(current_user)):
        abort(404)
    return topic


def post_or_404(post_id: int) -> Post:
    post = db.get_or_404(Post, post_id)
    topic_or_404(post.topic_id)
    if post.hidden and not services.is_moderator(current_user):
        abort(404)
    return post


def back_to(post: Post) -> str:
    return url_for("forum.topic", topic_id=post.topic_id, _anchor=f"post-{post.id}")


def login_first(view):
    """Anonymous visitors are sent to log in, then back to the page they were reading."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_user.is_authenticated:
            return view(*args, **kwargs)
        if request.method == "GET":
            back = request.full_path.rstrip("?")
        elif "topic_id" in kwargs:
            back = url_for("forum.topic", topic_id=kwargs["topic_id"])
        elif "post_id" in kwargs and (post := db.session.get(Post, kwargs["post_id"])):
            back = url_for("forum.topic", topic_id=post.topic_id)
        else:
            back = url_for("forum.index")
        return redirect(url_for("auth.login", next=back))

    return wrapped


# -- lists ----------------------------------------------------------------------------------

def _list_args() -> tuple[str, str, int]:
    sort = request.args.get("sort") or "latest"
    if sort not in queries.SORTS:
        abort(400, description=_("Sort by one of: %(sorts)s.", sorts=", ".join(queries.SORTS)))
    return sort, (request.args.get("tag") or "").strip()[:50], page_arg()


def _render_list(category=None):
    sort, tag, page = _list_args()
    result = queries.list_topics(sort=sort, category=category, tag=tag or None, page=page,
                                 include_hidden=services.is_moderator(current_user))
    watching_category = bool(category and current_user.is_authenticated and
                             watching.category_watch(current_user.id, category.id))
    return render_template("forum/index.html", result=result, sort=sort, tag=tag,
                           category=category, sorts=queries.SORTS,
                           roots=queries.root_categories(),
                           watching_category=watching_category, form=ConfirmForm())


@bp.route("/")
def index():
    return _render_list()


@bp.route("/c/<slug>")
def category(slug: str):
    return _render_list(queries.category_by_slug(slug) or abort(404))


# -- one topic ------------------------------------------------------------------------------

def render_topic(topic: Topic, reply_form: ReplyForm, error: str = "", status: int = 200):
    thread = queries.load_thread(topic, current_user)
    return render_template(
        "forum/topic.html", thread=thread, topic=topic, reply_form=reply_form, error=error,
        flag_form=FlagForm(formdata=None), move_form=MoveForm(formdata=None,
                                                              category_id=topic.category_id),
        form=ConfirmForm(),
        can_accept=services.can_accept(current_user, topic),
        moderator=services.is_moderator(current_user),
    ), status


@bp.route("/t/<int:topic_id>")
def topic(topic_id: int):
    topic = topic_or_404(topic_id)
    queries.count_view(topic, visitor_key(),
                       current_user.id if current_user.is_authenticated else None)
    form = ReplyForm(formdata=None)
    quoted = int_arg("quote", ignore_bad=True)
    if quoted is not None and 0 < quoted <= MAX_ROW_ID and current_user.is_authenticated:
        post = db.session.get(Post, quoted)
        if post is not None and post.topic_id == topic.id and post.visible:
            form.body_md.data = services.quote_text(post)
    return render_topic(topic, form)


@bp.route("/new", methods=["GET", "POST"])
@login_first
def new_topic():
    form = TopicForm()
    if request.method == "GET":
        chosen = queries.category_by_slug(request.args.get("category", ""))
        form.category_id.data = chosen.id if chosen else None
    if form.validate_on_submit():
        try:
            topic = services.create_topic(
                me(), title=form.title.data, body_md=form.body_md.data, kind=form.kind.data,
                category_id=form.category_id.data, tags=[form.tags.data or ""],
                wants_expert=bool(form.wants_expert.data),
            )
        except ForumError as error:
            db.session.rollback()
            return render_template("forum/new_topic.html", form=form,
                                   error=str(error)), error.status
        flash(_("Your topic is posted."), "success")
        return redirect(url_for("forum.topic", topic_id=topic.id))
    return render_template("forum/new_topic.html", form=form), 400 if form.errors else 200


@bp.route("/t/<int:topic_id>/reply", methods=["POST"], endpoint="reply")
@login_first
def post_reply(topic_id: int):
    topic = topic_or_404(topic_id)
    form = ReplyForm()
    if not form.validate_on_submit():
        return render_topic(topic, form, status=400)
    try:
        post = services.reply(topic, me(), form.body_md.data)
    except ForumError as error:
        db.session.rollback()
        return render_topic(topic, form, error=str(error), status=error.status)
    flash(_("Your reply is posted."), "success")
    return redirect(back_to(post))


# -- one post -------------------------------------------------------------------------------

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
            return render_template("forum/edit_post.html", form=form, post=post,
                                   error=str(error)), error.status
        flash(_("Your changes are saved.") if changed else _("Nothing changed."), "success")
        return redirect(back_to(post))
    return render_template("forum/edit_post.html", form=form, post=post), \
        400 if form.errors else 200


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


# -- watching -------------------------------------------------------------------------------

@bp.route("/t/<int:topic_id>/watch", methods=["POST"])
@login_first
def watch_topic(topic_id: int):
    topic = topic_or_404(topic_id)
    confirm_or_400()
    now_watching = watching.toggle_topic_watch(me(), topic)
    flash(_("You are watching this topic.") if now_watching
          else _("You no longer watch this topic."), "success")
    return redirect(url_for("forum.topic", topic_id=topic.id))


@bp.route("/c/<slug>/watch", methods=["POST"])
@login_first
def watch_category(slug: str):
    category = queries.category_by_slug(slug) or abort(404)
    confirm_or_400()
    now_watching = watching.toggle_category_watch(me(), category)
    flash(_("You will hear about new topics here.") if now_watching
          else _("You no longer watch this category."), "success")
    return redirect(url_for("forum.category", slug=category.slug))


# -- live preview ---------------------------------------------------------------------------

@bp.route("/preview", methods=["POST"])
def preview():
    """Live preview with the one renderer and sanitiser (CSRF via the X-CSRFToken header)."""
    if not current_user.is_authenticated:
        return jsonify({"error": _("Please log in first."), "status": 401}), 401
    payload = request.get_json(silent=True) or {}
    source = payload.get("markdown", "")
    if not isinstance(source, str) or len(source) > services.BODY_MAX_CHARS:
        return jsonify({"error": _("The preview text is missing or too long."),
                        "status": 400}), 400
    if problem := markdown_problem(source):
        return jsonify({"error": str(problem), "status": 400}), 400
    return jsonify({"html": render_markdown(source).html})


from portal.forum import moderation_views  # noqa: E402,F401  (registers the routes)

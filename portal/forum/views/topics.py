"""Forum pages for everyone: topic lists, one topic, a new topic, replies and watches.

Thin: parse the request, call a service, render or redirect."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.extensions import db
from portal.forms import ConfirmForm, int_arg, page_arg
from portal.forum import bp, queries, services, watching
from portal.forum.forms import FlagForm, MoveForm, ReplyForm, TopicForm
from portal.forum.services import ForumError
from portal.forum.views._common import back_to, confirm_or_400, login_first, me, topic_or_404
from portal.kb.feedback import MAX_ROW_ID
from portal.models import Post, Topic
from portal.visitor import visitor_key

# -- lists ----------------------------------------------------------------------------------


def _list_args() -> tuple[str, str, int]:
    sort = request.args.get("sort") or "latest"
    if sort not in queries.SORTS:
        abort(400, description=_("Sort by one of: %(sorts)s.", sorts=", ".join(queries.SORTS)))
    return sort, (request.args.get("tag") or "").strip()[:50], page_arg()


def _render_list(category=None):
    sort, tag, page = _list_args()
    result = queries.list_topics(
        sort=sort,
        category=category,
        tag=tag or None,
        page=page,
        include_hidden=services.is_moderator(current_user),
    )
    watching_category = bool(
        category
        and current_user.is_authenticated
        and watching.category_watch(current_user.id, category.id)
    )
    return render_template(
        "forum/index.html",
        result=result,
        sort=sort,
        tag=tag,
        category=category,
        sorts=queries.SORTS,
        roots=queries.root_categories(),
        watching_category=watching_category,
        form=ConfirmForm(),
    )


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
        "forum/topic.html",
        thread=thread,
        topic=topic,
        reply_form=reply_form,
        error=error,
        flag_form=FlagForm(formdata=None),
        move_form=MoveForm(formdata=None, category_id=topic.category_id),
        form=ConfirmForm(),
        can_accept=services.can_accept(current_user, topic),
        moderator=services.is_moderator(current_user),
    ), status


@bp.route("/t/<int:topic_id>")
def topic(topic_id: int):
    topic = topic_or_404(topic_id)
    queries.count_view(
        topic, visitor_key(), current_user.id if current_user.is_authenticated else None
    )
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
                me(),
                title=form.title.data,
                body_md=form.body_md.data,
                kind=form.kind.data,
                category_id=form.category_id.data,
                tags=[form.tags.data or ""],
                wants_expert=bool(form.wants_expert.data),
            )
        except ForumError as error:
            db.session.rollback()
            return render_template(
                "forum/new_topic.html", form=form, error=str(error)
            ), error.status
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


# -- watching -------------------------------------------------------------------------------


@bp.route("/t/<int:topic_id>/watch", methods=["POST"])
@login_first
def watch_topic(topic_id: int):
    topic = topic_or_404(topic_id)
    confirm_or_400()
    now_watching = watching.toggle_topic_watch(me(), topic)
    flash(
        _("You are watching this topic.") if now_watching else _("You no longer watch this topic."),
        "success",
    )
    return redirect(url_for("forum.topic", topic_id=topic.id))


@bp.route("/c/<slug>/watch", methods=["POST"])
@login_first
def watch_category(slug: str):
    category = queries.category_by_slug(slug) or abort(404)
    confirm_or_400()
    now_watching = watching.toggle_category_watch(me(), category)
    flash(
        _("You will hear about new topics here.")
        if now_watching
        else _("You no longer watch this category."),
        "success",
    )
    return redirect(url_for("forum.category", slug=category.slug))

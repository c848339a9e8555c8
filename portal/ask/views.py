"""Asking a question: suggestions first (live with JavaScript, a second step without), then
the full form. Every visit is an AskSession so deflection can be measured."""

from flask import abort, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.ask import bp
from portal.ask.forms import AskForm
from portal.ask.services import (
    attach_topic,
    clean_title,
    find_session,
    find_suggestions,
    record_open,
    session_to_post_in,
    start_session,
    suggest_for,
)
from portal.extensions import db
from portal.forum.services import ForumError, create_topic
from portal.models import AskSession
from portal.visitor import current_identity, is_own_record


def _login_url(title: str, token: str | None) -> str:
    """Login, then straight back to the ask page with the title still filled in."""
    back = url_for("ask.start", title=title or None, token=token)
    return url_for("auth.login", next=back)


def _render_question(
    form: AskForm, ask_session: AskSession, suggestions: list, error: str = "", status: int = 200
):
    return render_template(
        "ask/question.html",
        form=form,
        ask_session=ask_session,
        suggestions=suggestions,
        error=error,
        login_url=_login_url(clean_title(form.title.data), ask_session.token),
    ), status


@bp.route("/")
def start():
    """Step 1 (title only) or, once a title is given, step 2 (suggestions + full form)."""
    ask_session = find_session(request.args.get("token"), is_own_record) or start_session(
        *current_identity()
    )
    title = clean_title(request.args.get("title"))
    if not title:
        return render_template("ask/start.html", ask_session=ask_session)
    suggestions = suggest_for(ask_session, title)
    form = AskForm(formdata=None, token=ask_session.token, title=title)
    return _render_question(form, ask_session, suggestions)


@bp.route("/suggest")
def suggest():
    """JSON suggestions for the title being typed (no SearchLog row: not a customer search)."""
    ask_session = find_session(request.args.get("token"), is_own_record)
    if ask_session is None:
        message = _("This page has expired. Please reload it.")
        return jsonify({"error": message, "status": 404}), 404
    suggestions = suggest_for(ask_session, request.args.get("q", ""))
    return jsonify({"suggestions": [s.as_json(ask_session.token) for s in suggestions]})


@bp.route("/open/<token>", endpoint="open")
def open_suggestion(token: str):
    """Record that a suggestion was opened (in the visitor's own session only), then go to it."""
    target = record_open(find_session(token, is_own_record), request.args.get("key"))
    if target is None:
        abort(404)
    return redirect(target)


@bp.route("/", methods=["POST"], endpoint="post")
def post_question():
    """Create the topic (login required: anonymous askers go to login and come back)."""
    form = AskForm()
    if not current_user.is_authenticated:
        ask_session = find_session(form.token.data, is_own_record)
        token = ask_session.token if ask_session else None
        return redirect(_login_url(clean_title(form.title.data), token))
    ask_session = session_to_post_in(form.token.data, current_user.id, is_own_record)
    if ask_session is None:  # expired, tampered, another user's or already posted: a new one
        ask_session = start_session(current_user.id, None)
        form.token.data = ask_session.token
    if not form.validate_on_submit():
        return _render_question(form, ask_session, find_suggestions(form.title.data), status=400)
    try:
        topic = create_topic(
            current_user._get_current_object(),
            title=clean_title(form.title.data),
            body_md=form.body_md.data,
            kind=form.kind.data,
            category_id=form.category_id.data,
            tags=[form.tags.data or ""],  # split and cleaned by the forum
            wants_expert=bool(form.wants_expert.data and form.kind.data == "question"),
        )
    except ForumError as error:
        db.session.rollback()
        return _render_question(
            form,
            ask_session,
            find_suggestions(form.title.data),
            error=str(error),
            status=error.status,
        )
    attach_topic(ask_session, topic, current_user.id)
    return redirect(url_for("forum.topic", topic_id=topic.id), 303)

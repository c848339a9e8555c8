"""My page: one overview of my questions, what I watch, news for me and reading tips."""

from flask import render_template
from flask_login import current_user, login_required

from portal.kb.follow import followed_articles
from portal.me import bp
from portal.me.services import (
    my_questions,
    recommended_articles,
    watched_categories,
    watched_topics,
)
from portal.notify.services import recent_notifications

NOTIFICATIONS_SHOWN = 5


@bp.route("/")
@login_required
def home():
    user_id = current_user.id
    return render_template(
        "me/home.html",
        questions=my_questions(user_id),
        topics=watched_topics(user_id),
        categories=watched_categories(user_id),
        articles=followed_articles(user_id),
        notifications=recent_notifications(user_id, limit=NOTIFICATIONS_SHOWN),
        recommended=recommended_articles(user_id),
    )

"""Community forum: topics, replies, votes, accepted answers, moderation, watches."""

from flask import Blueprint

bp = Blueprint("forum", __name__, url_prefix="/forum")

from portal.forum import search_documents, views  # noqa: E402,F401

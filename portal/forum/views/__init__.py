"""The forum's pages, one module per concern, all on the forum blueprint: topics.py (lists,
a topic, posting, watches), posts.py (actions on one post, the preview), moderation.py
(editors and admins). _common.py holds what they share, so no view module imports another.
Importing this package registers every route."""

from portal.forum.views import moderation, posts, topics  # noqa: F401

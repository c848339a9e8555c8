"""Where forum pages live, for links stored in notifications, mail and articles."""

from flask import url_for


def topic_path(topic_id: int, anchor: str | None = None) -> str:
    """The topic page's path; works without a request too (CLI, tests calling services)."""
    try:
        return url_for("forum.topic", topic_id=topic_id, _anchor=anchor)
    except RuntimeError:  # no request context: build the same path by hand
        return f"/forum/t/{topic_id}" + (f"#{anchor}" if anchor else "")

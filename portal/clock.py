"""The portal's notion of 'now', injectable so tests (and the router) can move time."""

from datetime import datetime

from flask import current_app, has_app_context

from portal.models._time import utcnow


def now() -> datetime:
    """Naive UTC now, or the app's CLOCK() when one is configured (tests)."""
    if has_app_context():
        clock = current_app.config["CLOCK"]
        if clock is not None:
            return clock()
    return utcnow()

"""Keep this process's synonyms and product terms in step with the database.

Editors change them in one process; every process compares the ``search_tuning_version``
setting with the version it loaded (at most once a second) and reloads when they differ,
so changes apply without a restart."""

import logging
import time

from flask import current_app
from sqlalchemy import select

from portal.extensions import db
from portal.models import Setting, SynonymGroup, UserWord
from search import analyzer, synonyms

logger = logging.getLogger(__name__)

VERSION_SETTING = "search_tuning_version"
CHECK_INTERVAL_SECONDS = 1.0
_STATE_KEY = "search_tuning"


class TuningState:
    """What this app has loaded, and when it last looked at the version."""

    def __init__(self):
        self.loaded_version: str | None = None
        self.checked_at = float("-inf")


def _state() -> TuningState:
    return current_app.extensions.setdefault(_STATE_KEY, TuningState())


def current_version() -> str:
    """The version stored in the database ('' when no change was ever made)."""
    return db.session.scalar(select(Setting.value).where(Setting.name == VERSION_SETTING)) or ""


def ensure_current(force: bool = False) -> bool:
    """Reload synonyms and user words when the stored version moved; True when reloaded.

    Costs one SELECT per second per process; ``force`` skips the once-a-second throttle."""
    state = _state()
    clock = time.monotonic()
    if not force and clock - state.checked_at < CHECK_INTERVAL_SECONDS:
        return False
    state.checked_at = clock
    version = current_version()
    if version == state.loaded_version:
        return False
    load_tuning()
    state.loaded_version = version
    logger.info("search tuning loaded (version %r)", version)
    return True


def forget_loaded_version() -> None:
    """Make the next ensure_current() reload (after this process changed the tuning)."""
    state = _state()
    state.loaded_version = None
    state.checked_at = float("-inf")


def load_tuning() -> None:
    """Hand every synonym group and user word in the database to the search package."""
    # Words first: synonym members are normalised through the segmenter.
    analyzer.set_user_words(db.session.scalars(select(UserWord.word)).all())
    groups = db.session.scalars(select(SynonymGroup).order_by(SynonymGroup.id)).all()
    synonyms.set_groups([group.members for group in groups])

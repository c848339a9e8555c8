"""Editor changes to synonym groups and the product-term dictionary.

Every change bumps the tuning version in the same transaction, so every process reloads.
Synonyms expand queries at search time and need no reindex; a product term changes how
documents are segmented, so the articles and topics that contain it are reindexed."""

import logging

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from portal.audit.services import current_actor, record
from portal.extensions import db
from portal.indexing.outbox import commit_and_index, enqueue
from portal.models import Article, Post, Setting, SynonymGroup, Topic, UserWord
from portal.models.search_tuning import split_terms
from portal.search_tuning.loader import (
    VERSION_SETTING,
    ensure_current,
    forget_loaded_version,
)
from search.analyzer import fold, tokenize

logger = logging.getLogger(__name__)

WORD_MIN_CHARS, WORD_MAX_CHARS = 2, 40


class TuningError(ValueError):
    """A synonym group or product term that cannot be accepted."""


def bump_version() -> int:
    """Increment the tuning version (creating the setting); the caller commits."""
    setting = db.session.get(Setting, VERSION_SETTING)
    if setting is None:
        setting = Setting(name=VERSION_SETTING, value="0")
        db.session.add(setting)
    number = int(setting.value) + 1 if setting.value.isdigit() else 1
    setting.value = str(number)
    return number


def _commit_change() -> None:
    # Reset this process's throttle so the drain inside commit_and_index (and the next
    # search) reloads the tuning before it analyses anything.
    forget_loaded_version()
    commit_and_index()


def save_group(group: SynonymGroup | None, terms_text: str, user_id: int | None) -> SynonymGroup:
    """Create (group=None) or replace a synonym group from text such as "碎了, 破损"."""
    ensure_current()  # validate against the product terms other processes may have added
    members = split_terms(terms_text or "")
    if len(members) < 2:
        raise TuningError(_l("A synonym group needs at least two different words."))
    tokens = {}
    for member in members:
        analysed = tokenize(member)
        if len(analysed) != 1:
            raise TuningError(
                _l(
                    "“%(member)s” is not one word for search (it is read as: %(tokens)s); "
                    "add it to the product terms first or split it.",
                    member=member,
                    tokens=" / ".join(analysed) or "—",
                )
            )
        tokens[analysed[0]] = member
    _refuse_tokens_of_other_groups(tokens, group)
    before = None if group is None else {"terms": group.terms}
    if group is None:
        group = SynonymGroup()
        db.session.add(group)
    group.terms = ", ".join(members)
    group.updated_by_id = user_id
    bump_version()
    db.session.flush()  # a new group's id, for the audit entry
    record(
        user_id,
        "synonyms.create" if before is None else "synonyms.update",
        "synonym_group",
        group.id,
        group.terms,
        before,
        {"terms": group.terms},
    )
    _commit_change()
    logger.info("synonym group %s saved: %s", group.id, group.terms)
    return group


def _refuse_tokens_of_other_groups(tokens: dict[str, str], group: SynonymGroup | None) -> None:
    # A token in two groups would make expansion depend on load order.
    query = select(SynonymGroup)
    if group is not None and group.id is not None:
        query = query.where(SynonymGroup.id != group.id)
    for other in db.session.scalars(query):
        for other_member in other.members:
            for token in tokenize(other_member):
                if token in tokens:
                    raise TuningError(
                        _l(
                            "“%(member)s” is already in the group “%(group)s”.",
                            member=tokens[token],
                            group=other.terms,
                        )
                    )


def delete_group(group: SynonymGroup) -> None:
    """Remove a synonym group; searches stop expanding its words at once."""
    # The view does not pass the acting user: the request's user is the actor.
    record(
        current_actor(),
        "synonyms.delete",
        "synonym_group",
        group.id,
        group.terms,
        {"terms": group.terms},
    )
    db.session.delete(group)
    bump_version()
    _commit_change()


def add_word(word: str, user_id: int | None) -> UserWord:
    """Add a product term the segmenter keeps whole and reindex the content that has it."""
    word = (word or "").strip()
    if not WORD_MIN_CHARS <= len(word) <= WORD_MAX_CHARS:
        raise TuningError(
            _l(
                "A product term has %(low)d to %(high)d characters.",
                low=WORD_MIN_CHARS,
                high=WORD_MAX_CHARS,
            )
        )
    if any(ch.isspace() for ch in word):
        raise TuningError(_l("A product term cannot contain spaces."))
    folded = fold(word)
    if any(fold(existing) == folded for existing in db.session.scalars(select(UserWord.word))):
        raise TuningError(_l("“%(word)s” is already a product term.", word=word))
    entry = UserWord(word=word, created_by_id=user_id)
    db.session.add(entry)
    bump_version()
    db.session.flush()
    record(user_id, "product_term.add", "product_term", entry.id, word, None, {"word": word})
    queued = enqueue_documents_containing(word)
    _commit_change()
    logger.info("product term %r added; %d documents reindexed", word, queued)
    return entry


def delete_word(entry: UserWord) -> None:
    """Remove a product term and reindex the content that has it."""
    word = entry.word
    record(current_actor(), "product_term.delete", "product_term", entry.id, word, {"word": word})
    db.session.delete(entry)
    bump_version()
    queued = enqueue_documents_containing(word)
    _commit_change()
    logger.info("product term %r removed; %d documents reindexed", word, queued)


def enqueue_documents_containing(word: str) -> int:
    """Queue a reindex of published articles and topics whose title or text has ``word``."""
    pattern = f"%{_escape_like(word)}%"
    article_ids = db.session.scalars(
        select(Article.id).where(
            Article.status == "published",
            or_(
                Article.title.like(pattern, escape="\\"),
                Article.body_md.like(pattern, escape="\\"),
                Article.summary.like(pattern, escape="\\"),
            ),
        )
    ).all()
    topic_ids = db.session.scalars(
        select(Topic.id).where(
            or_(
                Topic.title.like(pattern, escape="\\"),
                Topic.id.in_(select(Post.topic_id).where(Post.body_md.like(pattern, escape="\\"))),
            )
        )
    ).all()
    for article_id in article_ids:
        enqueue("article", article_id)
    for topic_id in topic_ids:
        enqueue("forum", topic_id)
    return len(article_ids) + len(topic_ids)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_groups() -> list[SynonymGroup]:
    """Every synonym group, oldest first."""
    return list(db.session.scalars(select(SynonymGroup).order_by(SynonymGroup.id)))


def list_words() -> list[UserWord]:
    """Every product term, alphabetically."""
    return list(db.session.scalars(select(UserWord).order_by(UserWord.word)))

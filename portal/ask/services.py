"""Ask sessions and deflection: suggest answers while a customer types a question, record
what was shown and opened, and count how many questions those answers made unnecessary."""

import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime

from flask import url_for
from sqlalchemy import func, select

from portal.clock import now
from portal.extensions import db
from portal.indexing.backend import get_backend
from portal.inputs import whole_number
from portal.models import Article, AskSession, Topic
from search.analyzer import tokenize
from search.backend import SearchRequest

MAX_SUGGESTIONS = 5
# Shorter text matches almost anything; a single CJK character is rarely a question yet.
MIN_QUERY_CHARS = 2
# Forum hits are filtered after the search (only solved topics count), so ask for more.
SEARCH_DEPTH = 30
TITLE_CHARS = 200


@dataclass
class Suggestion:
    """One answer offered to the asker; ``snippet`` and ``title_html`` are safe HTML."""

    type: str  # "article" | "forum"
    key: str  # "article:12", what ask.open receives
    title: str
    title_html: str
    snippet: str
    solved: bool

    def as_json(self, token: str) -> dict:
        data = asdict(self)
        del data["key"], data["title_html"]
        data["url"] = url_for("ask.open", token=token, key=self.key)
        return data


def clean_title(text: str | None) -> str:
    """One line, single-spaced, at most the length a topic title may have."""
    return " ".join((text or "").split())[:TITLE_CHARS]


def start_session(user_id: int | None, anon_id: str | None) -> AskSession:
    """A new ask session for this visitor, committed so its token can be used at once."""
    session = AskSession(
        token=secrets.token_urlsafe(24), user_id=user_id, anon_id=anon_id, started_at=now()
    )
    db.session.add(session)
    db.session.commit()
    return session


def find_session(
    token: str | None,
    may_use: Callable[[AskSession], bool] = lambda session: True,
) -> AskSession | None:
    """The ask session of ``token``, if ``may_use`` it (the views pass
    portal.visitor.is_own_record: a leaked or guessed token does not let anyone else
    rewrite its title, counts or outcome)."""
    if not token or len(token) > 64:
        return None
    session = db.session.scalar(select(AskSession).where(AskSession.token == token))
    return session if session is not None and may_use(session) else None


def session_to_post_in(
    token: str | None,
    user_id: int,
    may_use: Callable[[AskSession], bool] = lambda session: True,
) -> AskSession | None:
    """The ask session a logged-in user may finish with a question: not another user's
    (a shared or leaked link) and not one that already ended in a posted question."""
    session = find_session(token, may_use)
    if session is None or session.topic_id is not None:
        return None
    if session.user_id is not None and session.user_id != user_id:
        return None
    return session


def find_suggestions(
    title: str, limit: int = MAX_SUGGESTIONS, highlight: bool = True
) -> list[Suggestion]:
    """Published articles and solved forum topics that best match ``title`` (``highlight``
    False: titles and snippets without <mark>, for callers that show none).

    The backend is searched directly: these are not customer searches, so nothing is logged
    (one SearchLog row per keystroke would swamp the search analytics)."""
    title = clean_title(title)
    if len(title) < MIN_QUERY_CHARS or not tokenize(title):
        return []
    request = SearchRequest(text=title, per_page=SEARCH_DEPTH, highlight=highlight)
    hits = get_backend().search(request).hits
    forum_ids = [hit.doc_id for hit in hits if hit.doc_type == "forum"]
    solved = set()
    if forum_ids:
        solved = set(
            db.session.scalars(
                select(Topic.id).where(
                    Topic.id.in_(forum_ids),
                    Topic.accepted_post_id.is_not(None),
                    Topic.hidden.is_(False),
                    Topic.deleted_at.is_(None),
                )
            )
        )
    suggestions = []
    for hit in hits:
        if hit.doc_type == "forum" and hit.doc_id not in solved:
            continue
        if hit.doc_type not in ("article", "forum"):
            continue
        suggestions.append(
            Suggestion(
                type=hit.doc_type,
                key=hit.key,
                title=hit.title,
                title_html=hit.title_html,
                snippet=hit.snippet,
                solved=hit.doc_type == "forum",
            )
        )
        if len(suggestions) == limit:
            break
    return suggestions


def record_shown(session: AskSession, title: str, shown: int) -> None:
    """Remember the latest title and add ``shown`` to the running count of suggestions
    displayed during this session (each refresh of the list counts)."""
    session.last_title = clean_title(title)
    session.suggestions_shown += shown
    db.session.commit()


def suggest_for(session: AskSession, title: str, highlight: bool = True) -> list[Suggestion]:
    """Suggestions for ``title``, recorded on the session."""
    suggestions = find_suggestions(title, highlight=highlight)
    if clean_title(title):
        record_shown(session, title, len(suggestions))
    return suggestions


def parse_key(key: str | None) -> tuple[str, int] | None:
    """'article:12' -> ('article', 12); anything else -> None."""
    doc_type, _, raw_id = (key or "").partition(":")
    try:
        doc_id = whole_number(raw_id, 1)
    except ValueError:
        return None
    return (doc_type, doc_id) if doc_type in ("article", "forum") else None


def suggestion_target(doc_type: str, doc_id: int) -> str | None:
    """The page a suggestion leads to, or None when it is no longer visible."""
    if doc_type == "article":
        article = db.session.get(Article, doc_id)
        if article is None or article.status != "published":
            return None
        return url_for("kb.article", slug=article.slug)
    topic = db.session.get(Topic, doc_id)
    if topic is None or not topic.visible:
        return None
    return url_for("forum.topic", topic_id=topic.id)


def record_open(session: AskSession | None, key: str | None) -> str | None:
    """Record the first suggestion opened in this session (None: the link is followed but
    nothing is recorded); return where to send the visitor (None for a key that does not
    name a visible article or topic)."""
    parsed = parse_key(key)
    target = suggestion_target(*parsed) if parsed else None
    if target is None:
        return None
    if session is not None and session.opened_suggestion_at is None:
        session.opened_suggestion_at = now()
        session.opened_key = key
        db.session.commit()
    return target


def attach_topic(session: AskSession, topic: Topic, user_id: int) -> None:
    """The session ended in a posted question (its outcome becomes 'posted')."""
    session.topic_id = topic.id
    session.last_title = clean_title(topic.title)
    if session.user_id is None:  # started anonymously, logged in to post
        session.user_id = user_id
    db.session.commit()


def deflection_stats(start: datetime, end: datetime) -> dict:
    """Outcomes of the ask sessions started in [start, end).

    ``sessions`` counts every visit to the ask page; ``typed`` those where a title was
    entered. posted / deflected / abandoned are the outcomes (``AskSession.outcome``), except
    that a visit that never typed anything is not counted as an abandoned question (people
    open the page just to look). ``deflection_rate`` is
    deflected / (deflected + posted): of the askers who got as far as a decision, the share
    an existing answer helped; None when there were none."""
    typed = AskSession.last_title != ""
    posted = AskSession.topic_id.is_not(None)
    opened = AskSession.opened_suggestion_at.is_not(None)
    row = db.session.execute(
        select(
            func.count(),
            func.count().filter(typed),
            func.count().filter(posted),
            func.count().filter(~posted, opened),
            func.count().filter(typed, ~posted, ~opened),
        ).where(AskSession.started_at >= start, AskSession.started_at < end)
    ).one()
    sessions, typed_n, posted_n, deflected_n, abandoned_n = (value or 0 for value in row)
    decided = deflected_n + posted_n
    return {
        "sessions": sessions,
        "typed": typed_n,
        "posted": posted_n,
        "deflected": deflected_n,
        "abandoned": abandoned_n,
        "deflection_rate": deflected_n / decided if decided else None,
    }

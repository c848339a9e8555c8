"""Helpful votes and page views: one vote per visitor per article, one counted view per
visitor per period (visitor = portal.visitor.visitor_key: an account or a network)."""

import unicodedata
from collections.abc import Callable

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, bindparam, exists, func, or_, select
from sqlalchemy.exc import IntegrityError

from portal.clock import now
from portal.extensions import db
from portal.indexing.outbox import commit_and_index, enqueue
from portal.models import Article, ArticleFeedback, ArticleView, SearchLog
from portal.visitor import VIEW_DEDUP_WINDOW, identity_key

MAX_ROW_ID = 2**63 - 1  # the largest SQL INTEGER: a bigger ?sid= cannot name a search
COMMENT_CHARS = 1000  # the column's size; the form refuses longer comments
# Why a reader found an article unhelpful (stored key -> label): counted in its insights.
REASONS = {
    "outdated": _l("It is outdated"),
    "not_answered": _l("It did not answer my question"),
    "unclear": _l("It is hard to understand"),
    "did_not_work": _l("Wrong product, or the steps did not work"),
    "other": _l("Something else"),
}


def reason_label(reason: str | None) -> str:
    return str(REASONS[reason]) if reason in REASONS else ""


def plain_comment(text: str) -> str:
    """A reader's comment as plain text: control and format characters (bidi overrides,
    zero-width marks) dropped except line breaks, trimmed, cut to the column's size."""
    kept = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return kept.strip()[:COMMENT_CHARS]


def _identity(user_id: int | None, anon_id: str | None) -> tuple[str | None, int | str | None]:
    """Which form of a _per_identity statement names this visitor's own rows, and the
    value of its "identity" parameter."""
    if user_id is not None:
        return "user", user_id
    if anon_id is not None:
        return "anon", anon_id
    return None, None


def _per_identity(build: Callable, columns) -> dict[str | None, Select]:
    """``build(mine)`` for each way to name a visitor's own rows (built once: these run on
    every article page and vote, and building one cost more than running it): by account,
    by session id, or with neither id the rows without one."""
    return {
        "user": build(columns.user_id == bindparam("identity")),
        "anon": build(columns.anon_id == bindparam("identity")),
        None: build(columns.anon_id.is_(None)),
    }


def valid_search_id(
    search_id: int | None, may_use: Callable[[SearchLog], bool] = lambda log: True
) -> int | None:
    """Keep a search id from a URL only if that search exists and ``may_use`` it (the views
    pass portal.visitor.is_own_record: nobody adds views or votes to another's search)."""
    if search_id is None or not 0 < search_id <= MAX_ROW_ID:
        return None
    log = db.session.get(SearchLog, search_id)
    if log is None or not may_use(log):
        return None
    return search_id


_VOTES, _VIEWS, _ARTICLES = (
    ArticleFeedback.__table__,
    ArticleView.__table__,
    Article.__table__,
)
_VOTE_OF = _per_identity(
    lambda mine: (
        select(ArticleFeedback)
        .where(
            _VOTES.c.article_id == bindparam("article_id"),
            or_(_VOTES.c.voter_key == bindparam("voter_key"), mine),
        )
        .order_by(_VOTES.c.id)
        .limit(1)
    ),
    _VOTES.c,
)


def _find_vote(article: Article, user_id, anon_id, voter_key: str) -> ArticleFeedback | None:
    form, identity = _identity(user_id, anon_id)
    return db.session.scalars(
        _VOTE_OF[form],
        {"article_id": article.id, "voter_key": voter_key, "identity": identity},
    ).first()


def record_vote(
    article: Article,
    helpful: bool,
    comment: str,
    user_id: int | None,
    anon_id: str | None,
    search_id: int | None = None,
    voter_key: str | None = None,
    reason: str | None = None,
) -> ArticleFeedback:
    """Create or change this visitor's vote and keep the article's counters in step.
    ``voter_key`` defaults to the account or the session (callers outside a request).
    ``reason`` (a key of REASONS) is kept only on a "no" vote; a "no" without one keeps
    the reason given before (the reason form re-sends the vote)."""
    if helpful or reason not in REASONS:
        reason = None
    voter_key = voter_key or identity_key(user_id, anon_id)
    search_id = valid_search_id(search_id)
    for _attempt in range(2):
        # Votes on one article wait for each other: on PostgreSQL the recount's subqueries
        # see what was committed when its statement began, so a vote recounted while
        # another was being saved would write a count without it (SQLite has one writer).
        db.session.execute(_LOCK_ARTICLE, {"locked_id": article.id})
        vote = _find_vote(article, user_id, anon_id, voter_key)
        if vote is None:
            vote = ArticleFeedback(
                article_id=article.id,
                user_id=user_id,
                anon_id=anon_id,
                voter_key=voter_key,
                helpful=helpful,
                search_id=search_id,
            )
            db.session.add(vote)
        else:
            vote.helpful = helpful  # changing one's mind is allowed
        if helpful:
            vote.reason = None
        elif reason is not None:
            vote.reason = reason
        if comment and plain_comment(comment):
            vote.comment = plain_comment(comment)
        vote.created_at = now()
        try:
            db.session.flush()
            break
        except IntegrityError:
            # The same visitor's vote was saved meanwhile (a double submit): change that one.
            db.session.rollback()
    _recount(article)
    enqueue("article", article.id)  # the helpful ratio is a ranking signal
    commit_and_index()
    return vote


def _votes(helpful: bool):
    return (
        select(func.count())
        .where(_VOTES.c.article_id == _ARTICLES.c.id, _VOTES.c.helpful.is_(helpful))
        .scalar_subquery()
    )


# Counted in SQL, like views: no read of every vote, no Article flush.
_RECOUNT = (
    _ARTICLES.update()
    .where(_ARTICLES.c.id == bindparam("counted_id"))
    .values(helpful_yes=_votes(True), helpful_no=_votes(False))
)


_LOCK_ARTICLE = (
    select(_ARTICLES.c.id).where(_ARTICLES.c.id == bindparam("locked_id")).with_for_update()
)


def _recount(article: Article) -> None:
    db.session.execute(_RECOUNT, {"counted_id": article.id})
    db.session.expire(article, ["helpful_yes", "helpful_no"])  # read again when needed


def current_vote(
    article: Article, user_id: int | None, anon_id: str | None, voter_key: str | None = None
):
    return _find_vote(article, user_id, anon_id, voter_key or identity_key(user_id, anon_id))


def record_view(
    article: Article,
    user_id: int | None,
    anon_id: str | None,
    search_id: int | None,
    visitor_key: str | None = None,
) -> None:
    """Log the view once per session per window (tied to the search that led here: the
    reading analytics work per session), and count it in view_count, which ranks articles,
    once per visitor key per window (a fresh cookie is not a new reader). The author's own
    views are neither: they are not a reader's."""
    if user_id is not None and user_id == article.author_id:
        return
    visitor_key = visitor_key or identity_key(user_id, anon_id)
    search_id = valid_search_id(search_id)
    at = now()
    seen_in_session, seen_by_visitor = recent_views(
        article.id, user_id, anon_id, visitor_key, at - VIEW_DEDUP_WINDOW
    )
    if seen_in_session and search_id is None:
        return
    db.session.execute(
        _ADD_VIEW,
        {
            "article_id": article.id,
            "user_id": user_id,
            "anon_id": anon_id,
            "search_id": search_id,
            "visitor_key": visitor_key,
            "created_at": at,
        },
    )
    if not seen_by_visitor:
        db.session.execute(_COUNT_VIEW, {"counted_id": article.id})
        db.session.expire(article, ["view_count"])  # read again if shown
    db.session.commit()


# Written in SQL, not through the ORM: flushing the Article walked every relationship of
# the model for one counter (half a view's cost), and simultaneous views are not lost.
_ADD_VIEW = _VIEWS.insert()
_COUNT_VIEW = (
    _ARTICLES.update()
    .where(_ARTICLES.c.id == bindparam("counted_id"))
    .values(view_count=_ARTICLES.c.view_count + 1)
)


def _seen_views(mine) -> Select:
    """Whether ``mine`` (this session's views) and whether this visitor key viewed the
    article since a moment: one statement for both, on the table (no ORM result handling)."""
    recent = (
        _VIEWS.c.article_id == bindparam("article_id"),
        _VIEWS.c.created_at > bindparam("since"),
    )
    return select(
        exists().where(*recent, mine),
        exists().where(*recent, _VIEWS.c.visitor_key == bindparam("visitor_key")),
    )


_SEEN = _per_identity(_seen_views, _VIEWS.c)


def recent_views(
    article_id: int, user_id: int | None, anon_id: str | None, visitor_key: str, since
) -> tuple[bool, bool]:
    """(viewed in this session, viewed under this visitor key) after ``since``; a view
    in the session is one under the key too (both are the same reader)."""
    form, identity = _identity(user_id, anon_id)
    in_session, by_visitor = db.session.execute(
        _SEEN[form],
        {
            "article_id": article_id,
            "since": since,
            "identity": identity,
            "visitor_key": visitor_key,
        },
    ).one()
    return bool(in_session), bool(in_session or by_visitor)

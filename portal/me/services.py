"""What My page shows: my questions and their state, what I watch, and articles recommended
from what I read and searched. Plain functions of a user id (no request needed)."""

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.indexing.backend import get_backend
from portal.kb.queries import published
from portal.models import Article, ArticleView, Category, SearchLog, Topic, Watch, article_tags
from search.backend import SearchRequest

# How much history feeds the recommendations: recent enough to reflect current interests,
# small enough that My page stays one quick page load.
RECENT_VIEWS = 30
RECENT_SEARCHES = 5
SEARCH_HITS = 10
# Weights: a shared tag says more than a shared (often broad) category; a top search hit
# counts like two shared tags and lower hits less.
TAG_WEIGHT = 2.0
CATEGORY_WEIGHT = 1.0
SEARCH_WEIGHT = 4.0


@dataclass
class MyQuestion:
    topic: Topic
    state: str  # solved | answered | assigned | waiting | discussion


def question_state(topic: Topic) -> str:
    """Where my question stands, most final first: an accepted answer beats an expert reply."""
    if topic.accepted_post_id is not None:
        return "solved"
    if not topic.is_question:
        return "discussion"
    if topic.routing_state == "answered":
        return "answered"
    if topic.routing_state == "assigned":
        return "assigned"
    return "waiting"  # "waiting" or "unrouted": nobody has it yet


def my_questions(user_id: int, limit: int = 50) -> list[MyQuestion]:
    topics = db.session.scalars(
        select(Topic)
        .where(Topic.author_id == user_id, Topic.deleted_at.is_(None))
        .order_by(Topic.last_activity_at.desc(), Topic.id.desc())
        .limit(limit)
    )
    return [MyQuestion(topic, question_state(topic)) for topic in topics]


def watched_topics(user_id: int) -> list[Topic]:
    """Topics I follow, my own questions included (their authors watch them until they
    stop), latest activity first."""
    return list(
        db.session.scalars(
            select(Topic)
            .join(Watch, Watch.topic_id == Topic.id)
            .where(Watch.user_id == user_id, Topic.deleted_at.is_(None), Topic.hidden.is_(False))
            .order_by(Topic.last_activity_at.desc())
        )
    )


def watched_categories(user_id: int) -> list[Category]:
    return list(
        db.session.scalars(
            select(Category)
            .join(Watch, Watch.category_id == Category.id)
            .where(Watch.user_id == user_id)
            .order_by(Category.position, Category.id)
        )
    )


def _viewed_ids(user_id: int) -> tuple[set[int], list[int]]:
    """(every article I viewed, the most recently viewed ones)."""
    every = set(
        db.session.scalars(
            select(ArticleView.article_id).where(ArticleView.user_id == user_id).distinct()
        )
    )
    recent = list(
        db.session.scalars(
            select(ArticleView.article_id)
            .where(ArticleView.user_id == user_id)
            .group_by(ArticleView.article_id)
            .order_by(func.max(ArticleView.created_at).desc())
            .limit(RECENT_VIEWS)
        )
    )
    return every, recent


def _scores_from_views(recent_ids: list[int], viewed: set[int]) -> Counter:
    """Articles sharing tags or a category with what I read recently."""
    scores: Counter = Counter()
    if not recent_ids:
        return scores
    read = db.session.scalars(
        select(Article).where(Article.id.in_(recent_ids)).options(selectinload(Article.tags))
    ).all()
    tag_weight = Counter(tag.id for article in read for tag in article.tags)
    category_weight = Counter(a.category_id for a in read if a.category_id is not None)
    if tag_weight:
        rows = db.session.execute(
            select(article_tags.c.article_id, article_tags.c.tag_id)
            .join(Article, Article.id == article_tags.c.article_id)
            .where(article_tags.c.tag_id.in_(tag_weight), Article.status == "published")
        )
        for article_id, tag_id in rows:
            if article_id not in viewed:
                scores[article_id] += TAG_WEIGHT * tag_weight[tag_id]
    if category_weight:
        rows = db.session.execute(
            select(Article.id, Article.category_id).where(
                Article.category_id.in_(category_weight), Article.status == "published"
            )
        )
        for article_id, category_id in rows:
            if article_id not in viewed:
                scores[article_id] += CATEGORY_WEIGHT * category_weight[category_id]
    return scores


def _recent_search_tokens(user_id: int) -> list[str]:
    """My latest distinct searches, as analyzer tokens (what the engine matches on)."""
    rows = db.session.execute(
        select(SearchLog.tokens, func.max(SearchLog.id).label("last"))
        .where(SearchLog.user_id == user_id, SearchLog.tokens != "")
        .group_by(SearchLog.tokens)
        .order_by(func.max(SearchLog.id).desc())
        .limit(RECENT_SEARCHES)
    )
    return [tokens for tokens, _last in rows]


def _scores_from_searches(user_id: int, viewed: set[int]) -> Counter:
    """Articles my recent searches find, re-run quietly (no new SearchLog row)."""
    scores: Counter = Counter()
    backend = get_backend()
    for tokens in _recent_search_tokens(user_id):
        request = SearchRequest(text=tokens, doc_type="article", per_page=SEARCH_HITS)
        for hit in backend.search(request).hits:
            if hit.doc_id not in viewed:
                scores[hit.doc_id] += SEARCH_WEIGHT / hit.rank
    return scores


def popular_unviewed(viewed: set[int], limit: int) -> list[Article]:
    query = published().order_by(Article.view_count.desc(), Article.id).limit(limit)
    if viewed:
        query = query.where(Article.id.not_in(viewed))
    return list(db.session.scalars(query))


def recommended_articles(user_id: int, limit: int = 6) -> list[Article]:
    """Up to ``limit`` published articles I have not viewed, ranked by how well they match
    what I read (shared tags, categories) and searched; popular articles when that history
    gives nothing."""
    viewed, recent = _viewed_ids(user_id)
    scores = _scores_from_views(recent, viewed) + _scores_from_searches(user_id, viewed)
    if not scores:
        return popular_unviewed(viewed, limit)
    articles = {a.id: a for a in db.session.scalars(published().where(Article.id.in_(scores)))}
    ranked = sorted(articles.values(), key=lambda a: (-scores[a.id], -a.view_count, a.id))
    return ranked[:limit]

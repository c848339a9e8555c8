"""Database models, one module per area; import them all so Alembic sees every table."""

from portal.models.indexing import IndexTask
from portal.models.kb import (
    Article,
    ArticleFeedback,
    ArticleRevision,
    ArticleView,
    Category,
    Tag,
    article_tags,
)
from portal.models.search_log import SearchClick, SearchLog
from portal.models.user import ROLES, User

__all__ = [
    "ROLES",
    "Article",
    "ArticleFeedback",
    "ArticleRevision",
    "ArticleView",
    "Category",
    "IndexTask",
    "SearchClick",
    "SearchLog",
    "Tag",
    "User",
    "article_tags",
]

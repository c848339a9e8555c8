"""Database models, one module per area; import them all so Alembic sees every table."""

from portal.models import rendered  # noqa: F401  (registers render-on-save)
from portal.models.downloads import DownloadFile, Product
from portal.models.forum import (
    AskSession,
    Flag,
    Post,
    PostEdit,
    PostVote,
    Topic,
    TopicViewMark,
    Watch,
    topic_tags,
)
from portal.models.indexing import IndexTask
from portal.models.insights import (
    ContentNeed,
    QueryDayStat,
    RollupState,
    SearchHourStat,
    VisitorDay,
)
from portal.models.kb import (
    Article,
    ArticleCitation,
    ArticleFeedback,
    ArticleImage,
    ArticleRevision,
    ArticleView,
    Category,
    Tag,
    article_tags,
)
from portal.models.notify import Notification, OutboxMail
from portal.models.routing import (
    Assignment,
    ExpertProfile,
    JobLease,
    RoutingEvent,
    expert_categories,
    expert_tags,
)
from portal.models.search_log import SearchClick, SearchLog
from portal.models.search_tuning import BlockedSuggestion, Setting, SynonymGroup, UserWord
from portal.models.security import AuditEntry, LoginLock
from portal.models.user import ROLES, User

__all__ = [
    "ROLES",
    "Article",
    "ArticleCitation",
    "ArticleFeedback",
    "ArticleImage",
    "ArticleRevision",
    "ArticleView",
    "AskSession",
    "Assignment",
    "AuditEntry",
    "BlockedSuggestion",
    "Category",
    "ContentNeed",
    "DownloadFile",
    "ExpertProfile",
    "Flag",
    "IndexTask",
    "JobLease",
    "LoginLock",
    "Notification",
    "OutboxMail",
    "Post",
    "PostEdit",
    "PostVote",
    "Product",
    "QueryDayStat",
    "RollupState",
    "RoutingEvent",
    "SearchClick",
    "SearchHourStat",
    "SearchLog",
    "Setting",
    "SynonymGroup",
    "Tag",
    "Topic",
    "TopicViewMark",
    "User",
    "UserWord",
    "VisitorDay",
    "Watch",
    "article_tags",
    "expert_categories",
    "expert_tags",
    "topic_tags",
]

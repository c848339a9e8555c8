"""Links from audit entries to the objects they name, for those that still exist."""

from collections import defaultdict
from collections.abc import Callable

from flask import url_for
from sqlalchemy import select

from portal.extensions import db
from portal.forum.paths import topic_path
from portal.models import (
    Article,
    AuditEntry,
    Category,
    DownloadFile,
    Post,
    Product,
    SynonymGroup,
    Tag,
    Topic,
    User,
    UserWord,
)

# target_type -> (the columns to load for the ids on a page, the link made from one row,
# or None when the object exists but has no page any more). The first column is the id.
TARGETS: dict[str, tuple[tuple, Callable]] = {
    "article": ((Article.id,), lambda row: url_for("editor.edit_article", article_id=row.id)),
    "category": ((Category.id,), lambda row: url_for("editor.categories", category_id=row.id)),
    "tag": ((Tag.id,), lambda row: url_for("editor.tags")),
    "topic": ((Topic.id,), lambda row: topic_path(row.id)),
    "post": (
        (Post.id, Post.topic_id),
        lambda row: topic_path(row.topic_id, anchor=f"post-{row.id}"),
    ),
    "user": ((User.id, User.email), lambda row: url_for("admin.users", q=row.email)),
    "expert_profile": (
        (User.id, User.role),
        lambda row: (
            url_for("experts.edit_profile", user_id=row.id) if row.role == "expert" else None
        ),
    ),
    "download": ((DownloadFile.id,), lambda row: url_for("downloads.edit", file_id=row.id)),
    "product": ((Product.id,), lambda row: url_for("downloads.products")),
    "synonym_group": ((SynonymGroup.id,), lambda row: url_for("search_tuning.index")),
    "product_term": ((UserWord.id,), lambda row: url_for("search_tuning.index")),
}


def target_links(entries: list[AuditEntry]) -> dict[int, str]:
    """``{entry.id: url}`` for the entries whose target still exists (one query per type)."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for entry in entries:
        if entry.target_type in TARGETS and entry.target_id.isdigit():
            wanted[entry.target_type].add(int(entry.target_id))
    urls: dict[tuple[str, int], str] = {}
    for target_type, ids in wanted.items():
        columns, link = TARGETS[target_type]
        for row in db.session.execute(select(*columns).where(columns[0].in_(ids))):
            url = link(row)
            if url:
                urls[(target_type, row.id)] = url
    return {
        entry.id: urls[(entry.target_type, int(entry.target_id))]
        for entry in entries
        if entry.target_id.isdigit() and (entry.target_type, int(entry.target_id)) in urls
    }

"""Categories (one tree shared by the KB and, later, the forum) and tags."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.audit.services import record, snapshot
from portal.extensions import db
from portal.indexing.outbox import commit_and_index, enqueue
from portal.kb.queries import descendant_ids
from portal.models import Article, Category, Tag, Topic, User, article_tags

# Everything that lives in the category tree and carries tags, with its index doc type.
TAGGED_MODELS = (("article", Article), ("forum", Topic))
CATEGORY_FIELDS = (
    "name",
    "name_en",
    "slug",
    "parent_id",
    "description",
    "description_en",
    "position",
)


class TaxonomyError(ValueError):
    """A change to categories or tags that cannot be accepted."""


def save_category(
    category: Category | None,
    *,
    name: str,
    name_en: str,
    slug: str,
    parent_id: int | None,
    description: str,
    position: int,
    description_en: str = "",
    actor: User | None = None,
) -> Category:
    """Create or change a category (audited). The English name and description are shown to
    English readers; empty, they see the Chinese."""
    clash = db.session.scalar(select(Category).where(Category.slug == slug))
    if clash is not None and clash is not category:
        raise TaxonomyError(_l("The slug “%(slug)s” is already used.", slug=slug))
    if category is not None and parent_id in descendant_ids(category):
        raise TaxonomyError(_l("A category cannot be moved under itself."))
    if parent_id is not None and db.session.get(Category, parent_id) is None:
        raise TaxonomyError(_l("That parent category does not exist."))
    moved = category is not None and category.parent_id != parent_id
    before = None if category is None else snapshot(category, CATEGORY_FIELDS)
    if category is None:
        category = Category()
        db.session.add(category)
    category.name, category.name_en, category.slug = name.strip(), name_en.strip(), slug
    category.parent_id, category.description = parent_id, description.strip()
    category.description_en = description_en.strip()
    category.position = position or 0
    if moved:
        # Articles and topics below carry their category path in the index: refresh them.
        ids = descendant_ids(category)
        for doc_type, model in TAGGED_MODELS:
            for doc_id in db.session.scalars(select(model.id).where(model.category_id.in_(ids))):
                enqueue(doc_type, doc_id)
    db.session.flush()  # a new category's id, for the audit entry
    record(
        actor,
        "category.create" if before is None else "category.update",
        "category",
        category.id,
        category.name,
        before,
        snapshot(category, CATEGORY_FIELDS),
    )
    commit_and_index()
    return category


def delete_category(category: Category, actor: User | None = None) -> None:
    """Only an empty category (no sub-categories, articles or topics) may be deleted."""
    if category.children:
        raise TaxonomyError(_l("Move or delete its sub-categories first."))
    used = sum(
        db.session.scalar(select(func.count()).where(model.category_id == category.id))
        for _doc_type, model in TAGGED_MODELS
    )
    if used:
        raise TaxonomyError(_l("%(n)d articles or topics are still in this category.", n=used))
    record(
        actor,
        "category.delete",
        "category",
        category.id,
        category.name,
        snapshot(category, CATEGORY_FIELDS),
    )
    db.session.delete(category)
    db.session.commit()


def tags_with_counts() -> list[tuple[Tag, int]]:
    rows = db.session.execute(
        select(Tag, func.count(article_tags.c.article_id))
        .outerjoin(article_tags, article_tags.c.tag_id == Tag.id)
        .group_by(Tag.id)
        .order_by(Tag.name)
    ).all()
    return [(tag, count) for tag, count in rows]


def _reindex_tagged(tag: Tag) -> None:
    for doc_type, model in TAGGED_MODELS:
        for doc_id in db.session.scalars(select(model.id).where(model.tags.contains(tag))):
            enqueue(doc_type, doc_id)


def rename_tag(tag: Tag, new_name: str, actor: User | None = None) -> Tag:
    """Rename; renaming onto an existing tag merges the two."""
    new_name = new_name.strip()[:50]
    other = db.session.scalar(select(Tag).where(func.lower(Tag.name) == new_name.lower()))
    _reindex_tagged(tag)
    merging = other is not None and other is not tag
    record(
        actor,
        "tag.merge" if merging else "tag.rename",
        "tag",
        tag.id,
        f"{tag.name} → {new_name}",
        {"name": tag.name},
        {"name": new_name, "merged_into": other.id} if merging else {"name": new_name},
    )
    if merging:
        for _doc_type, model in TAGGED_MODELS:
            for item in db.session.scalars(select(model).where(model.tags.contains(tag))):
                if other not in item.tags:
                    item.tags.append(other)
                item.tags.remove(tag)
        db.session.delete(tag)
        tag = other
    else:
        tag.name = new_name
    commit_and_index()
    return tag


def delete_tag(tag: Tag, actor: User | None = None) -> None:
    _reindex_tagged(tag)
    record(actor, "tag.delete", "tag", tag.id, tag.name, {"name": tag.name})
    db.session.delete(tag)
    commit_and_index()

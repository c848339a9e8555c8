"""Read-side queries for the knowledge base pages."""

from dataclasses import dataclass, field

from sqlalchemy import func, select

from portal.extensions import db
from portal.kb import structure
from portal.models import Article, ArticleRevision, Category, Tag, article_tags
from portal.searching.refresh import TimedCache


@dataclass(frozen=True, slots=True)
class CategoryView:
    """A category as the menus show it: the row's values, read once per structure version
    and shared by every request (an ORM object would be bound to one request's session)."""

    id: int
    parent_id: int | None
    slug: str
    name: str
    name_en: str
    description: str
    description_en: str
    position: int

    display_name = Category.display_name
    display_description = Category.display_description


@dataclass
class CategoryNode:
    category: CategoryView
    children: list["CategoryNode"] = field(default_factory=list)
    article_count: int = 0  # published articles here and below


def latest_revision_number(article: Article) -> int:
    """The number of the article's latest revision (0 before its first save)."""
    if article.id is None:
        return 0
    number = db.session.scalar(
        select(func.max(ArticleRevision.number)).where(ArticleRevision.article_id == article.id)
    )
    return number or 0


def published():
    return select(Article).where(Article.status == "published")


# Per process, rebuilt after KB_LISTS_CACHE_SECONDS: a passage over every published article
# on each page that shows the sidebar or the most-viewed list cost more than the search.
_lists = TimedCache("kb_lists", "KB_LISTS_CACHE_SECONDS")
_CATEGORY_COLUMNS = [getattr(Category, name) for name in CategoryView.__slots__]


def _published_counts() -> dict[int | None, int]:
    return dict(
        db.session.execute(
            select(Article.category_id, func.count())
            .where(Article.status == "published")
            .group_by(Article.category_id)
        ).all()
    )


def _categories() -> list[CategoryView]:
    query = select(*_CATEGORY_COLUMNS).order_by(Category.position, Category.id)
    return [CategoryView(*row) for row in db.session.execute(query)]


def all_categories() -> list[CategoryView]:
    """Every category in menu order (position, id), as of the last structure change."""
    return structure.cached("categories", _categories)


def category_by_slug(slug: str) -> CategoryView | None:
    by_slug = structure.cached(
        "categories_by_slug", lambda: {view.slug: view for view in all_categories()}
    )
    return by_slug.get(slug)


def category_tree() -> list[CategoryNode]:
    """All categories as a tree, with published-article counts that include sub-categories
    (the counts may be KB_LISTS_CACHE_SECONDS old). Shared between requests: read only."""
    counts = _lists.get("category_counts", _published_counts)
    return structure.cached(
        "category_tree", lambda: _tree(all_categories(), counts), depends_on=counts
    )


def _tree(categories: list[CategoryView], counts: dict) -> list[CategoryNode]:
    nodes = {c.id: CategoryNode(c, article_count=counts.get(c.id, 0)) for c in categories}
    roots = []
    for c in categories:
        parent = nodes.get(c.parent_id) if c.parent_id else None
        (parent.children if parent else roots).append(nodes[c.id])

    def total(node: CategoryNode) -> int:
        node.article_count += sum(total(child) for child in node.children)
        return node.article_count

    for root in roots:
        total(root)
    return roots


def descendant_ids(category: Category) -> list[int]:
    ids, frontier = [category.id], [category]
    while frontier:
        node = frontier.pop()
        for child in node.children:
            if child.id not in ids:
                ids.append(child.id)
                frontier.append(child)
    return ids


def popular_articles(limit: int = 8) -> list[Article]:
    """The most viewed published articles; which ones may be KB_LISTS_CACHE_SECONDS old,
    but one unpublished since drops out at once."""
    query = (
        select(Article.id)
        .where(Article.status == "published")
        .order_by(Article.view_count.desc(), Article.id)
        .limit(limit)
    )
    ids = _lists.get(("popular", limit), lambda: list(db.session.scalars(query)))
    found = {a.id: a for a in db.session.scalars(published().where(Article.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def recent_articles(limit: int = 8) -> list[Article]:
    return list(db.session.scalars(published().order_by(Article.updated_at.desc()).limit(limit)))


@dataclass
class CategorySection:
    """A sub-category on its parent's page: its best articles (it and below) and how many."""

    category: Category
    articles: list[Article]
    total: int


SECTION_ARTICLES = 5  # articles shown per sub-category on a parent category's page


def category_sections(category: Category, limit: int = SECTION_ARTICLES) -> list[CategorySection]:
    """Each sub-category with its most viewed published articles, its own sub-categories'
    included, so a top-level page is never empty while the tree below it has articles."""
    sections = []
    for child in sorted(category.children, key=lambda c: (c.position, c.id)):
        below = published().where(Article.category_id.in_(descendant_ids(child)))
        total = db.session.scalar(select(func.count()).select_from(below.subquery()))
        if not total:
            continue
        best = db.session.scalars(
            below.order_by(Article.view_count.desc(), Article.id).limit(limit)
        )
        sections.append(CategorySection(child, list(best), total))
    return sections


def articles_in(category: Category) -> list[Article]:
    query = published().where(Article.category_id == category.id).order_by(Article.title)
    return list(db.session.scalars(query))


def related_articles(article: Article, limit: int = 5) -> list[Article]:
    """Published articles sharing the most tags, then the same category, most viewed first."""
    tag_ids = [t.id for t in article.tags]
    shared = (
        select(article_tags.c.article_id, func.count().label("shared"))
        .where(article_tags.c.tag_id.in_(tag_ids or [-1]))
        .group_by(article_tags.c.article_id)
        .subquery()
    )
    same_category = (Article.category_id == article.category_id) if article.category_id else False
    query = (
        published()
        .outerjoin(shared, shared.c.article_id == Article.id)
        .where(Article.id != article.id)
        .where((shared.c.shared > 0) | same_category)
        .order_by(func.coalesce(shared.c.shared, 0).desc(), Article.view_count.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def tag_by_name(name: str) -> Tag | None:
    return db.session.scalar(select(Tag).where(Tag.name == name))


def articles_tagged(tag: Tag) -> list[Article]:
    query = published().where(Article.tags.contains(tag)).order_by(Article.updated_at.desc())
    return list(db.session.scalars(query))


def category_choices(exclude: Category | None = None) -> list[tuple[int | None, str]]:
    """(id, indented name in the visitor's language) for select boxes over the whole tree;
    ``exclude`` drops a category and its subtree (a category cannot move under itself)."""
    from portal.template_helpers import category_name

    banned = set(descendant_ids(exclude)) if exclude is not None else set()
    choices: list[tuple[int | None, str]] = [(None, "—")]

    def walk(nodes, depth):
        for node in nodes:
            if node.category.id in banned:
                continue
            choices.append((node.category.id, "　" * depth + category_name(node.category)))
            walk(node.children, depth + 1)

    walk(category_tree(), 0)
    return choices

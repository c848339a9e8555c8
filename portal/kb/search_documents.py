"""Articles as search documents: only published articles are searchable."""

from collections.abc import Iterator
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.indexing.documents import DocumentSource, key_for, register
from portal.indexing.rows import batches_by_id, category_chains, tag_names
from portal.markup import markdown_to_text
from portal.models import Article, Category
from portal.models.kb import article_tags
from portal.url_templates import url_with
from search.backend import DocumentRows, IndexDocument
from search.ranking import helpful_boost


class ArticleRow(NamedTuple):
    """What an article's document is made of, as plain data (a rebuild sends it to a worker)."""

    id: int
    title: str
    summary: str
    body_md: str
    slug: str
    language: str
    updated_at: datetime
    helpful_yes: int
    helpful_no: int
    tags: list[str]
    category_ids: list[int]  # the category's ancestors, root first, then the category


def article_document(row: ArticleRow) -> IndexDocument:
    body = markdown_to_text(row.body_md)
    return IndexDocument(
        key=key_for("article", row.id),
        doc_type="article",
        doc_id=row.id,
        title=row.title,
        body=f"{row.summary}\n{body}" if row.summary else body,
        slug=row.slug,
        tags=row.tags,
        category_ids=row.category_ids,
        language=row.language,
        updated=row.updated_at,
        boost=helpful_boost(row.helpful_yes, row.helpful_no),
    )


def article_documents(rows: list[ArticleRow]) -> list[IndexDocument]:
    return [article_document(row) for row in rows]


def _row(article: Article) -> ArticleRow:
    category_ids = article.category.chain_ids() if article.category is not None else []
    return ArticleRow(
        article.id,
        article.title,
        article.summary,
        article.body_md,
        article.slug,
        article.language,
        article.updated_at,
        article.helpful_yes,
        article.helpful_no,
        article.tag_names,
        category_ids,
    )


def load_articles(ids: set[int]) -> dict[int, IndexDocument]:
    articles = db.session.scalars(
        select(Article)
        .where(Article.status == "published", Article.id.in_(ids))
        .options(
            selectinload(Article.tags),
            selectinload(Article.category).selectinload(Category.parent),
        )
    )
    return {a.id: article_document(_row(a)) for a in articles}


_COLUMNS = (
    Article.id,
    Article.title,
    Article.summary,
    Article.body_md,
    Article.slug,
    Article.language,
    Article.updated_at,
    Article.helpful_yes,
    Article.helpful_no,
    Article.category_id,
)


def article_batches(size: int) -> Iterator[DocumentRows]:
    """Every published article as ArticleRows, ``size`` a batch, in id order."""
    chains = category_chains()
    published = select(*_COLUMNS).where(Article.status == "published")
    for rows in batches_by_id(published, Article.id, size):
        tags = tag_names(article_tags, "article_id", [row.id for row in rows])
        batch = [
            ArticleRow(*row[:-1], tags.get(row.id, []), list(chains.get(row.category_id, ())))
            for row in rows
        ]
        yield DocumentRows(article_documents, batch)


def count_articles() -> int:
    return db.session.scalar(
        select(func.count()).select_from(Article).where(Article.status == "published")
    )


def article_url(_doc_id: int, slug: str) -> str:
    return url_with("kb.article", "slug", slug)


register(DocumentSource("article", load_articles, article_batches, count_articles, article_url))

"""Articles as search documents: only published articles are searchable."""

from collections.abc import Iterator

from flask import url_for
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.indexing.documents import DocumentSource, key_for, register
from portal.markup import markdown_to_text
from portal.models import Article, Category
from search.backend import IndexDocument
from search.ranking import helpful_boost


def article_document(article: Article) -> IndexDocument:
    category_ids = []
    if article.category is not None:
        category_ids = [c.id for c in article.category.ancestors()] + [article.category.id]
    body = markdown_to_text(article.body_md)
    return IndexDocument(
        key=key_for("article", article.id),
        doc_type="article",
        doc_id=article.id,
        title=article.title,
        body=f"{article.summary}\n{body}" if article.summary else body,
        slug=article.slug,
        tags=article.tag_names,
        category_ids=category_ids,
        language=article.language,
        updated=article.updated_at,
        boost=helpful_boost(article.helpful_yes, article.helpful_no),
    )


def _published_query():
    return (
        select(Article)
        .where(Article.status == "published")
        .options(
            selectinload(Article.tags),
            selectinload(Article.category).selectinload(Category.parent),
        )
    )


def load_articles(ids: set[int]) -> dict[int, IndexDocument]:
    articles = db.session.scalars(_published_query().where(Article.id.in_(ids)))
    return {a.id: article_document(a) for a in articles}


def iter_articles() -> Iterator[IndexDocument]:
    for article in db.session.scalars(_published_query().order_by(Article.id)):
        yield article_document(article)


def count_articles() -> int:
    return db.session.scalar(
        select(func.count()).select_from(Article).where(Article.status == "published")
    )


def article_url(_doc_id: int, slug: str) -> str:
    return url_for("kb.article", slug=slug)


register(DocumentSource("article", load_articles, iter_articles, count_articles, article_url))

"""Turning a solved question into a draft knowledge-base article (editors and admins)."""

from flask_babel import lazy_gettext as _l

from portal.audit.services import record
from portal.editor.services import ArticleData, save_article
from portal.editor.slugs import title_slug
from portal.extensions import db
from portal.forum.moderation import require_moderator
from portal.forum.search_documents import guess_language
from portal.forum.services import ForumError
from portal.models import Article, Topic, User


def article_body(topic: Topic, topic_url: str) -> str:
    """The question, the accepted answer under a heading, and a link back to the topic."""
    question = next(p for p in topic.posts if p.is_question)
    answer = topic.accepted_post
    return (
        f"{question.body_md.strip()}\n\n## 解答\n\n{answer.body_md.strip()}\n\n"
        f"来源：[社区问答 #{topic.id}]({topic_url})\n"
    )


def turn_into_article(topic: Topic, actor: User, topic_url: str) -> Article:
    """Create a draft article from a solved question and remember it on the topic. If the
    topic already has its article, that one is returned (no duplicates)."""
    require_moderator(actor)
    if topic.article_id is not None:
        existing = db.session.get(Article, topic.article_id)
        if existing is not None:
            return existing
    if not topic.is_question or not topic.solved or topic.accepted_post is None:
        raise ForumError(_l("Only a solved question can become an article."))
    question = next(p for p in topic.posts if p.is_question)
    data = ArticleData(
        title=topic.title,
        slug=title_slug(topic.title, fallback=f"forum-{topic.id}"),
        body_md=article_body(topic, topic_url),
        category_id=topic.category_id,
        language=guess_language(f"{topic.title}\n{question.body_md}"),
        status="draft",
        tags=[t.name for t in topic.tags],
    )
    # save_article commits on its own; the link on the topic follows in a second commit.
    article, _changed = save_article(None, data, actor.id, f"From forum topic #{topic.id}")
    record(
        actor,
        "topic.to_article",
        "topic",
        topic.id,
        topic.title,
        {"article_id": topic.article_id},
        {"article_id": article.id},
    )
    topic.article_id = article.id
    db.session.commit()
    return article

"""Factories that build real rows through the same services the app uses."""

import itertools

from sqlalchemy import select

from portal.auth.services import create_user
from portal.editor.services import ArticleData, save_article
from portal.experts.profiles import profile_for, update_profile
from portal.extensions import db
from portal.models import Category

_counter = itertools.count(1)


class Factories:
    def user(self, role="customer", email=None, password="password123", **kwargs):
        email = email or f"{role}{next(_counter)}@example.com"
        # "password123" is a very common password (zxcvbn score 0) on purpose: tests log in with it.
        return create_user(
            email, password, kwargs.pop("name", ""), role=role, check_strength=False, **kwargs
        )

    def category(self, slug=None, name=None, parent=None, name_en=""):
        slug = slug or f"cat-{next(_counter)}"
        existing = db.session.scalar(select(Category).where(Category.slug == slug))
        if existing:
            return existing
        category = Category(
            slug=slug, name=name or slug, name_en=name_en, parent_id=parent.id if parent else None
        )
        db.session.add(category)
        db.session.commit()
        return category

    def article(
        self,
        title="示例文章",
        body="正文内容",
        slug=None,
        status="published",
        category=None,
        tags=(),
        language="zh-CN",
        summary="",
        author=None,
    ):
        data = ArticleData(
            title=title,
            slug=slug or f"article-{next(_counter)}",
            body_md=body,
            category_id=category.id if category else None,
            language=language,
            status=status,
            summary=summary,
            tags=list(tags),
        )
        article, _changed = save_article(None, data, author.id if author else None, "created")
        return article

    def expert(self, name="", categories=(), **profile):
        """A new expert with the routing profile ``expert_profile`` gives."""
        user = self.user("expert", name=name)
        self.expert_profile(user, categories, **profile)
        return user

    def expert_profile(
        self, user, categories=(), tags=(), keywords="", on_duty=True, max_open=5, actor=None
    ):
        """Save ``user``'s routing profile: the categories (rows) and tags it knows, its
        keywords, whether it is on duty and how many open questions it takes."""
        update_profile(
            profile_for(user),
            category_ids=[c.id for c in categories],
            tags=list(tags),
            keywords=keywords,
            on_duty=on_duty,
            max_open=max_open,
            actor=actor,
        )

"""One article in several languages: translation groups, outdated translations, and the
reader's language first.

A group is an original article and the articles whose ``translation_of`` is that original
(a translation of a translation joins the original's group). Each language appears once
in a group. A translation records the original's revision it was last brought up to date
with (``source_revision``); a later revision of the original marks it outdated.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

from flask import has_request_context
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from portal.extensions import db
from portal.kb import structure
from portal.kb.queries import latest_revision_number
from portal.models import Article
from portal.models.kb import LANGUAGE_NAMES, LANGUAGES

# The article language a UI locale reads first (flask-babel locale -> article language).
UI_LANGUAGE = {
    "zh_CN": "zh-CN",
    "zh_Hans_CN": "zh-CN",
    "zh_TW": "zh-TW",
    "zh_Hant_TW": "zh-TW",
    "en": "en",
}
# Suffix of the slug suggested for a new translation.
SLUG_SUFFIX = {"zh-CN": "zh-cn", "zh-TW": "zh-tw", "en": "en"}


class TranslationError(ValueError):
    """A translation link that cannot be made; the message is shown to the editor."""


def original_of(article: Article) -> Article:
    """The group's original: the article itself unless it translates another."""
    return article.translation_of or article


def group_members(article: Article, published_only: bool = False) -> list[Article]:
    """Every article of ``article``'s group (itself included), in LANGUAGES order."""
    root = original_of(article)
    query = select(Article).where(or_(Article.id == root.id, Article.translation_of_id == root.id))
    if published_only:
        query = query.where(Article.status == "published")
    members = list(db.session.scalars(query))
    if article not in members:
        members.append(article)
    return sorted(members, key=lambda a: (_language_rank(a.language), a.id))


def _language_rank(language: str) -> int:
    return LANGUAGES.index(language) if language in LANGUAGES else len(LANGUAGES)


def other_languages(article: Article) -> list[Article]:
    """The published translations a reader of ``article`` can switch to."""
    return [a for a in group_members(article, published_only=True) if a.id != article.id]


def missing_languages(article: Article) -> list[str]:
    """Languages the group has no article in yet."""
    present = {a.language for a in group_members(article)}
    return [language for language in LANGUAGES if language not in present]


def is_outdated(article: Article) -> bool:
    """A translation whose original has a revision it was not brought up to date with."""
    if article.translation_of_id is None:
        return False
    return latest_revision_number(article.translation_of) > (article.source_revision or 0)


def check_translation(
    source: Article | None, language: str, article: Article | None = None
) -> Article | None:
    """The original that an article in ``language`` may translate from ``source``; raises
    TranslationError when the group already has that language (or it is the source's)."""
    if source is None:
        return None
    root = original_of(source)
    taken = {a.language: a for a in group_members(root)}
    holder = taken.get(language)
    if holder is not None and holder is not article:
        name = LANGUAGE_NAMES.get(language, language)
        raise TranslationError(
            _l(
                "“%(title)s” already has a version in %(language)s.",
                title=root.title,
                language=name,
            )
        )
    return root


def link_translation(article: Article, root: Article | None) -> None:
    """Make ``article`` a translation of ``root``, up to date with its latest revision
    (or an original again with None). The caller commits."""
    article.translation_of_id = root.id if root is not None else None
    article.source_revision = latest_revision_number(root) if root is not None else None


def mark_up_to_date(article: Article) -> None:
    """A translation just saved by an editor now follows its original's latest revision."""
    if article.translation_of_id is not None:
        article.source_revision = latest_revision_number(article.translation_of)


def translation_draft(source: Article, language: str) -> dict:
    """What the new-article form starts from when translating ``source`` to ``language``."""
    root = original_of(source)
    return {
        "title": source.title,
        "summary": source.summary,
        "body_md": source.body_md,
        "category_id": source.category_id,
        "tags": ", ".join(source.tag_names),
        "language": language,
        "status": "draft",
        "translation_of": str(root.id),
        "slug": f"{root.slug}-{SLUG_SUFFIX[language]}"[:120],
    }


def group_key(article_id: int, translation_of_id: int | None) -> int:
    """The id that names an article's translation group: its original's."""
    return translation_of_id or article_id


def prefer_language(items: Iterable, language: str | None, key=lambda item: item) -> list:
    """One item per translation group, at the position of the group's first item: the
    group's item in ``language`` when there is one, else its first. ``key(item)`` gives
    the item's Article (or anything with id, translation_of_id and language)."""
    chosen: dict[int, object] = {}
    for item in items:
        article = key(item)
        group = group_key(article.id, article.translation_of_id)
        current = chosen.get(group)
        if current is None or (article.language == language and key(current).language != language):
            chosen[group] = item
    return list(chosen.values())  # dicts keep each group at its first position


def localize(articles: Sequence[Article], language: str | None) -> list[Article]:
    """``articles`` as a reader of ``language`` should see them: each replaced by its
    group's published article in that language where there is one, one per group."""
    groups = {group_key(a.id, a.translation_of_id) for a in articles}
    if not groups or language is None:
        return prefer_language(articles, language)
    # Found by id and translation_of_id alone, status and language checked here: with them
    # (or with one OR) in the query, SQLite walked every published article through the
    # status index (1 s at 80,000 articles) instead of these two indexes.
    members = [
        *db.session.scalars(select(Article).where(Article.id.in_(groups))),
        *db.session.scalars(select(Article).where(Article.translation_of_id.in_(groups))),
    ]
    in_language = {
        group_key(a.id, a.translation_of_id): a
        for a in members
        if a.status == "published" and a.language == language
    }
    swapped = [in_language.get(group_key(a.id, a.translation_of_id), a) for a in articles]
    return prefer_language(swapped, language)


class _Member(NamedTuple):
    id: int
    translation_of_id: int | None
    language: str


_ARTICLES = Article.__table__
_LINKED = select(_ARTICLES.c.translation_of_id).where(_ARTICLES.c.translation_of_id.is_not(None))


def _read_groups() -> dict[int, _Member]:
    # Two index lookups (translation_of_id is indexed) instead of an OR over both columns.
    columns = (_ARTICLES.c.id, _ARTICLES.c.translation_of_id, _ARTICLES.c.language)
    rows = [
        *db.session.execute(select(*columns).where(_ARTICLES.c.translation_of_id.is_not(None))),
        *db.session.execute(select(*columns).where(_ARTICLES.c.id.in_(_LINKED))),
    ]
    return {row.id: _Member(*row) for row in rows}


def translation_groups() -> dict[int, _Member]:
    """The articles that belong to a group of two or more (originals with a translation,
    and translations), by id; any other article is a group of its own. Read once per
    change of the KB structure (portal/kb/structure.py), shared by every request."""
    return structure.cached("translation_groups", _read_groups)


def one_hit_per_group(hits: list, language: str | None) -> list:
    """A page of search hits with one article per translation group (the reader's
    language first, at the group's best rank); ranks renumbered from the first hit's."""
    if sum(hit.doc_type == "article" for hit in hits) < 2:
        return hits
    members = translation_groups()

    def member(hit):
        if hit.doc_type != "article":
            return _Member(-1 - id(hit), None, "")  # a group of its own
        return members.get(hit.doc_id) or _Member(hit.doc_id, None, "")  # its own group

    kept = prefer_language(hits, language, key=member)
    if len(kept) == len(hits):
        return hits
    first = hits[0].rank
    return [replace(hit, rank=first + i) for i, hit in enumerate(kept)]


def reader_language() -> str | None:
    """The article language of the page's UI locale (None outside a request)."""
    if not has_request_context():
        return None
    return UI_LANGUAGE.get(str(get_locale()))


@dataclass(frozen=True)
class LocalizationRow:
    original: Article
    translation: Article | None  # None: missing in the language

    @property
    def outdated(self) -> bool:
        return self.translation is not None and is_outdated(self.translation)


def localization_rows(language: str) -> tuple[list[LocalizationRow], list[LocalizationRow]]:
    """(missing, outdated) for ``language``: published originals in another language with
    no translation into it, and translations into it behind their original; most viewed
    first."""
    originals = db.session.scalars(
        select(Article)
        .where(
            Article.status == "published",
            Article.translation_of_id.is_(None),
            Article.language != language,
        )
        .order_by(Article.view_count.desc(), Article.id)
    )
    translations = {
        a.translation_of_id: a
        for a in db.session.scalars(
            select(Article).where(
                Article.language == language, Article.translation_of_id.is_not(None)
            )
        )
    }
    missing, outdated = [], []
    for original in originals:
        row = LocalizationRow(original, translations.get(original.id))
        if row.translation is None:
            missing.append(row)
        elif row.outdated:
            outdated.append(row)
    return missing, outdated

"""The sidebar's per-category counts and the most-viewed list are kept per process for
KB_LISTS_CACHE_SECONDS (each costs a pass over every published article); an article
unpublished meanwhile still leaves the list at once."""

from portal.extensions import db
from portal.kb.queries import category_tree, popular_articles


def _count(tree, slug):
    return next(node.article_count for node in tree if node.category.slug == slug)


def test_counts_and_most_viewed_are_kept_for_the_cache_time(app, make):
    app.config["KB_LISTS_CACHE_SECONDS"] = 300
    returns = make.category("returns")
    read = make.article("退货政策", category=returns)
    read.view_count = 9
    db.session.commit()
    assert _count(category_tree(), "returns") == 1
    assert popular_articles(1) == [read]

    newer = make.article("退款到账时间", category=returns)
    newer.view_count = 50
    db.session.commit()
    assert _count(category_tree(), "returns") == 1  # counted again after the cache time
    assert popular_articles(1) == [read]

    read.status = "archived"
    db.session.commit()
    assert popular_articles(1) == []  # cached ids, but an unpublished article drops out

    app.config["KB_LISTS_CACHE_SECONDS"] = 0  # 0: rebuilt on every use
    assert _count(category_tree(), "returns") == 1
    assert popular_articles(1) == [newer]

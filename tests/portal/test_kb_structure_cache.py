"""The category tree and the translation groups are cached per process and read again after
any change (portal/kb/structure.py): an edit made in one worker is seen by the next request
in every worker. A second app on the same database and index stands for the other worker."""

from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event, select

from portal import create_app
from portal.extensions import db
from portal.indexing.backend import close_backend
from portal.kb.translations import one_hit_per_group
from portal.models import Article, Category
from search.backend import SearchHit
from tests.conftest import SHARED_BYTECODE, Client, _app_config


@contextmanager
def other_worker(app):
    """Another app (a second gunicorn worker) on ``app``'s database and index."""
    other = create_app(
        _app_config(Path(app.config["DATA_DIR"]), app.config["SQLALCHEMY_DATABASE_URI"])
    )
    other.jinja_env.bytecode_cache = SHARED_BYTECODE
    try:
        yield Client(other)
    finally:
        with other.app_context():
            db.session.remove()
            close_backend(other)
            db.engine.dispose()


def _search_page(client, query="退货", **args):
    response = client.get("/search", query_string={"q": query, **args})
    return response.status_code, response.get_data(as_text=True)


def test_a_category_rename_is_seen_by_the_next_search_in_every_worker(app, client, make):
    """The results page's category menu and the category filter follow an editor's rename
    (name and slug) at once, in the worker that saved it and in the other."""
    returns = make.category("returns", "退货政策")
    make.article(title="退货流程", body="退货三天内到账", category=returns)
    with other_worker(app) as other:
        for worker in (client, other):
            status, page = _search_page(worker, category="returns")
            assert status == 200 and "退货政策" in page
        client.login(make.user("editor"))
        saved = client.post(
            f"/editor/categories/{returns.id}",
            {"name": "退换货", "slug": "refunds", "parent_id": "", "position": "0"},
        )
        assert saved.status_code == 302
        for worker in (client, other):
            status, page = _search_page(worker, category="refunds")
            assert status == 200 and "退换货" in page and "退货政策" not in page
            assert worker.get("/api/v1/search?q=退货&category=refunds").json["total"] == 1
            assert _search_page(worker, category="returns")[0] == 400  # the old slug is gone


def test_a_new_category_and_a_deleted_one_are_seen_by_the_next_search(app, client, make):
    make.category("returns", "退货政策")
    with other_worker(app) as other:
        assert "发票问题" not in _search_page(other)[1]
        client.login(make.user("editor"))
        client.post("/editor/categories", {"name": "发票问题", "slug": "invoices", "parent_id": ""})
        assert "发票问题" in _search_page(other)[1]
        invoices = db.session.scalar(select(Category).where(Category.slug == "invoices"))
        assert client.post(f"/editor/categories/{invoices.id}/delete").status_code == 302
        assert "发票问题" not in _search_page(other)[1]
        assert _search_page(other, category="invoices")[0] == 400


def _translate_to_english(client, original):
    """Save an English translation of ``original`` through the "translate to" form."""
    page = client.get(f"/editor/articles/new?translate_from={original.id}&language=en")
    assert page.status_code == 200
    form = {
        "title": "Refund guide",
        "slug": "refund-en",
        "summary": "",
        "category_id": "",
        "language": "en",
        "status": "published",
        "tags": "",
        "body_md": "A refund takes 3 days.",
        "note": "",
        "translation_of": str(original.id),
    }
    assert client.post("/editor/articles/new", form).status_code == 302
    return db.session.scalar(select(Article).where(Article.slug == "refund-en"))


def _titles(worker):
    return [hit["title"] for hit in worker.get("/api/v1/search?q=refund").json["results"]]


def test_a_new_translation_is_grouped_by_the_next_search_in_every_worker(app, client, make):
    """Each worker has searched (and read the groups) before the English translation is
    saved: the next search in either worker lists the pair once, in the reader's language."""
    original = make.article(title="refund 退款说明", body="refund 退款三天到账。", slug="refund")
    make.article(title="Refund of shipping fees", body="refund shipping", slug="shipping")
    with other_worker(app) as other:
        for worker in (client, other):
            assert "refund 退款说明" in _titles(worker)
        client.login(make.user("editor"))
        _translate_to_english(client, original)
        client.logout()
        for worker in (client, other):
            found = _titles(worker)
            assert "refund 退款说明" in found and "Refund guide" not in found
            assert "Refund of shipping fees" in found


def test_a_language_change_regroups_at_the_next_search_in_every_worker(app, client, make):
    """An English reader sees the group's English article; once an editor re-languages it
    to traditional Chinese through the edit form, both workers show the original instead."""
    original = make.article(title="refund 退款说明", body="refund 退款三天到账。", slug="refund")
    client.login(make.user("editor"))
    english = _translate_to_english(client, original)
    with other_worker(app) as other:
        for worker in (client, other):
            worker.post("/lang/en", data={"next": "/"})
            assert _titles(worker) == ["Refund guide"]
        form = {
            "title": english.title,
            "slug": english.slug,
            "summary": "",
            "category_id": "",
            "language": "zh-TW",
            "status": "published",
            "tags": "",
            "body_md": english.body_md,
            "note": "",
            "base_revision": str(len(english.revisions)),
        }
        assert client.post(f"/editor/articles/{english.id}/edit", form).status_code == 302
        for worker in (client, other):
            assert _titles(worker) == ["refund 退款说明"]


def test_the_groups_are_read_once_per_change(app, make):
    """Between two changes a page of hits costs one read of the version, nothing more; the
    answer is the one the database gives (a translation with its original, others alone,
    a hit no longer an article alone)."""
    original = make.article(title="如何退货", slug="returns")
    english = make.article(title="How to return", slug="returns-en", language="en")
    english.translation_of_id = original.id
    other = make.article(title="运费", slug="shipping")
    db.session.commit()

    def hit(doc_type, doc_id, rank):
        return SearchHit(f"{doc_type}:{doc_id}", doc_type, doc_id, "", "", "", "", 1.0, rank)

    hits = [hit("article", original.id, 1), hit("forum", 5, 2), hit("article", english.id, 3)]
    hits.append(hit("article", other.id, 4))
    hits.append(hit("article", 99999, 5))  # not (or no longer) an article: its own group
    expected = [
        (f"article:{english.id}", 1),
        ("forum:5", 2),
        (f"article:{other.id}", 3),
        ("article:99999", 4),
    ]
    assert [(h.key, h.rank) for h in one_hit_per_group(hits, "en")] == expected
    reads = []

    def read(_conn, _cursor, statement, *_args):
        reads.append(statement)

    event.listen(db.engine, "before_cursor_execute", read)
    try:
        chinese = one_hit_per_group(hits, "zh-CN")
    finally:
        event.remove(db.engine, "before_cursor_execute", read)
    assert chinese[0].key == f"article:{original.id}" and len(chinese) == 4
    assert len(reads) == 1 and "settings" in reads[0]

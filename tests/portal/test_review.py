"""Owners and review dates: one list of articles needing a look (overdue, unhelpful,
translation behind), most read first; editors set owner and date and mark reviewed."""

from datetime import date, datetime, timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.models import Article, AuditEntry


def _article(slug):
    return db.session.scalar(select(Article).where(Article.slug == slug))


def test_the_review_list_gathers_every_reason_most_read_first(client, make, clock):
    today = clock().date()
    old = make.article("旧政策", slug="old")
    old.published_at = datetime.combine(today - timedelta(days=200), datetime.min.time())
    old.view_count = 5
    fresh = make.article("新文章", slug="fresh")
    fresh.published_at = datetime.combine(today, datetime.min.time())
    disliked = make.article("看不懂的文章", slug="disliked")
    disliked.helpful_no, disliked.helpful_yes, disliked.view_count = 4, 1, 50
    liked = make.article("好文章", slug="liked")
    liked.helpful_no, liked.helpful_yes = 4, 9
    scheduled = make.article("到期复查", slug="scheduled")
    scheduled.review_by = today - timedelta(days=1)
    db.session.commit()
    editor = make.user("editor")
    client.login(editor)
    client.post("/lang/en")
    page = client.get("/editor/review").get_data(as_text=True)
    assert page.index("看不懂的文章") < page.index("旧政策")  # most viewed first
    assert "Readers found it unhelpful" in page and "Review date passed" in page
    assert "到期复查" in page
    for absent in ("新文章", "好文章"):
        assert absent not in page

    assert client.post(f"/editor/articles/{old.id}/reviewed", {"back": "list"}).status_code == 303
    db.session.expire_all()
    assert _article("old").review_by == today + timedelta(days=180)
    assert "旧政策" not in client.get("/editor/review").get_data(as_text=True)
    assert (
        db.session.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc()))
        == "article.reviewed"
    )


def test_owner_and_review_date_are_set_checked_and_audited(client, make):
    article = make.article("退款", slug="refund")
    editor, customer = make.user("editor"), make.user("customer")
    client.login(editor)
    page = client.get(f"/editor/articles/{article.id}/edit").get_data(as_text=True)
    assert 'name="owner_id"' in page and 'name="review_by"' in page
    ok = client.post(
        f"/editor/articles/{article.id}/review-settings",
        {"owner_id": str(editor.id), "review_by": "2027-03-01"},
    )
    assert ok.status_code == 303
    db.session.expire_all()
    saved = _article("refund")
    assert (saved.owner_id, saved.review_by) == (editor.id, date(2027, 3, 1))
    for bad in (
        {"owner_id": str(customer.id), "review_by": ""},
        {"owner_id": "", "review_by": "2027-02-30"},
        {"owner_id": "", "review_by": "9999-01-01"},
    ):
        client.post(f"/editor/articles/{article.id}/review-settings", bad)
        db.session.expire_all()
        assert (_article("refund").owner_id, _article("refund").review_by) == (
            editor.id,
            date(2027, 3, 1),
        ), bad
    client.logout()
    client.login(customer)
    assert client.get("/editor/review").status_code == 403


def test_a_new_article_is_owned_by_its_author_and_due_180_days_after_publishing(client, make):
    editor = make.user("editor")
    client.login(editor)
    form = {
        "title": "新文章",
        "slug": "new",
        "summary": "",
        "category_id": "",
        "language": "zh-CN",
        "status": "published",
        "tags": "",
        "body_md": "正文",
        "note": "",
    }
    client.post("/editor/articles/new", form)
    article = _article("new")
    assert article.owner_id == editor.id
    from portal.editor.review import review_due

    assert review_due(article) == article.published_at.date() + timedelta(days=180)


def test_readers_reporting_an_article_outdated_put_it_on_the_list_until_it_changes(
    client, make, clock
):
    """Two "not helpful: it is outdated" votes since the last change are enough, however
    many readers found it helpful; an edit answers them."""
    from portal.editor.services import ArticleData, save_article
    from portal.kb.feedback import record_vote

    article = make.article("运费说明", slug="shipping")
    for revision in article.revisions:  # written at the test clock's now, like the votes
        revision.created_at = clock.current
    db.session.commit()
    editor = make.user("editor")
    clock.advance(hours=1)
    for n in range(5):  # most readers found it helpful
        record_vote(article, True, "", None, f"happy-{n}")
    record_vote(article, False, "", None, "reader-1", reason="outdated")
    client.login(editor)
    client.post("/lang/en")
    assert "运费说明" not in client.get("/editor/review").get_data(as_text=True)
    record_vote(article, False, "", None, "reader-2", reason="unclear")
    assert "运费说明" not in client.get("/editor/review").get_data(as_text=True)
    record_vote(article, False, "", None, "reader-3", reason="outdated")
    page = client.get("/editor/review").get_data(as_text=True)
    assert "运费说明" in page and "Readers reported it outdated" in page
    clock.advance(hours=1)
    data = ArticleData(
        title="运费说明",
        slug="shipping",
        body_md="2026 年新运费。",
        category_id=None,
        status="published",
    )
    save_article(article, data, editor.id)
    assert "运费说明" not in client.get("/editor/review").get_data(as_text=True)

"""Editor-managed synonyms and product terms: applied without a restart, reindexed as needed."""

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Setting, SynonymGroup, UserWord
from portal.search_tuning import loader
from portal.search_tuning.services import bump_version
from search import analyzer, synonyms
from search.analyzer import tokenize

URL = "/editor/search-tuning"


@pytest.fixture(autouse=True)
def restore_search_tuning():
    """The analyzer and synonyms are process-wide: leave them as other tests expect."""
    words = analyzer.user_words()
    yield
    analyzer.set_user_words(words)
    synonyms.set_groups(synonyms.DEFAULT_GROUPS)


@pytest.fixture
def editor(client, make):
    user = make.user(role="editor")
    client.login(user)
    return user


def _group_id(member: str) -> int:
    return next(g.id for g in db.session.scalars(select(SynonymGroup)) if member in g.members)


def _slugs(client, q: str) -> list[str]:
    return [
        hit["slug"] for hit in client.get("/api/v1/search", query_string={"q": q}).json["results"]
    ]


def test_migration_seeds_default_groups_and_product_terms(app):
    terms = db.session.scalars(select(SynonymGroup.terms)).all()
    assert len(terms) == len(synonyms.DEFAULT_GROUPS) and "发票, 开票" in terms[2]
    assert set(db.session.scalars(select(UserWord.word))) == {"青禾商城", "青禾笔记"}


def test_page_lists_groups_and_terms(client, editor):
    page = client.get(URL).get_data(as_text=True)
    assert "退货, 退换货" in page and "青禾商城" in page and 'name="csrf_token"' in page


def test_new_group_applies_to_search_at_once_and_deleting_it_undoes_it(client, editor, make):
    make.article("屏幕破损怎么办", slug="broken", body="外屏破损可以申请保修。")
    assert _slugs(client, "碎了") == []
    response = client.post(f"{URL}/groups", {"terms": "碎了，破损"})
    assert response.status_code == 302
    assert _slugs(client, "碎了") == ["broken"]
    assert client.post(f"{URL}/groups/{_group_id('碎了')}/delete").status_code == 302
    assert _slugs(client, "碎了") == []


def test_editing_a_group_replaces_its_members(client, editor):
    group_id = _group_id("抬头")
    assert (
        client.post(f"{URL}/groups/{group_id}", {"terms": "抬头、名头、title"}).status_code == 302
    )
    assert db.session.get(SynonymGroup, group_id).terms == "抬头, 名头, title"
    client.get("/search?q=抬头")
    assert set(synonyms.expansions("抬头")) == {"名头", "titl"}


@pytest.mark.parametrize(
    "terms, message",
    [
        ("碎了, 屏幕破损了", "“屏幕破损了” is not one word for search"),
        ("碎了, 发票", "“发票” is already in the group “发票, 开票"),
        ("碎了, 開票", "“開票” is already in the group"),  # the same word in traditional script
        ("碎了", "at least two different words"),
    ],
)
def test_bad_groups_are_refused_with_the_reason_and_the_text_kept(client, editor, terms, message):
    client.post("/lang/en")
    before = db.session.scalar(select(Setting.value).where(Setting.name == loader.VERSION_SETTING))
    response = client.post(f"{URL}/groups", {"terms": terms})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page.replace("&#34;", '"') and f">{terms}</textarea>" in page
    after = db.session.scalar(select(Setting.value).where(Setting.name == loader.VERSION_SETTING))
    assert after == before


def test_a_group_may_keep_its_own_words_when_edited(client, editor):
    group_id = _group_id("换货")
    assert (
        client.post(f"{URL}/groups/{group_id}", {"terms": "换货, exchange, 调换"}).status_code
        == 302
    )


def test_customer_is_forbidden(client, make):
    client.login(make.user())
    assert client.get(URL).status_code == 403
    assert client.post(f"{URL}/groups", {"terms": "碎了, 破损"}).status_code == 403
    assert client.post(f"{URL}/words", {"word": "青禾同步器"}).status_code == 403
    assert db.session.scalar(select(UserWord).where(UserWord.word == "青禾同步器")) is None


def test_missing_csrf_token_is_refused(client, editor):
    response = client.post(f"{URL}/groups", {"terms": "碎了, 破损"}, csrf=False)
    assert response.status_code == 400
    assert client.post(f"{URL}/words", {"word": "青禾同步器"}, csrf=False).status_code == 400
    assert db.session.scalar(select(UserWord).where(UserWord.word == "青禾同步器")) is None


def test_product_term_reindexes_content_and_removing_it_restores(client, editor, make):
    make.article("青禾同步器使用说明", slug="syncer", body="安装青禾同步器后登录。")
    assert "青禾同步器" not in tokenize("青禾同步器")
    assert client.post(f"{URL}/words", {"word": "青禾同步器"}).status_code == 302
    assert tokenize("打开青禾同步器") == ["打开", "青禾同步器"]
    # The query is now one token: only a reindexed article holds it.
    assert _slugs(client, "青禾同步器") == ["syncer"]
    word_id = db.session.scalar(select(UserWord.id).where(UserWord.word == "青禾同步器"))
    assert client.post(f"{URL}/words/{word_id}/delete").status_code == 302
    assert "青禾同步器" not in tokenize("青禾同步器")
    assert _slugs(client, "青禾同步器") == ["syncer"]


@pytest.mark.parametrize(
    "word, message",
    [
        ("青", "2 to 40 characters"),
        ("青禾 同步", "cannot contain spaces"),
        ("青禾笔记", "already a product term"),
        ("青禾筆記", "already a product term"),
    ],
)
def test_bad_product_terms_are_refused(client, editor, word, message):
    client.post("/lang/en")
    response = client.post(f"{URL}/words", {"word": word})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and message in page and f'value="{word}"' in page


def test_a_version_bump_from_another_process_is_picked_up_within_a_second(app, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(loader.time, "monotonic", lambda: clock[0])
    assert loader.ensure_current() is True  # first call in this app loads
    assert loader.ensure_current(force=True) is False  # same version: nothing to do
    # Another process saves a group and bumps the version; this one has not reloaded.
    db.session.add(SynonymGroup(terms="碎了, 破损"))
    bump_version()
    db.session.commit()
    broken = tokenize("碎了")[0]
    assert synonyms.expansions(broken) == ()
    clock[0] += 0.5
    assert loader.ensure_current() is False  # throttled: no SELECT yet
    clock[0] += 0.6
    assert loader.ensure_current() is True
    assert synonyms.expansions(broken) == tuple(tokenize("破损"))


def test_product_term_reindexes_forum_topics_that_mention_it_in_a_post(client, editor, make):
    from portal.forum.services import create_topic

    topic = create_topic(make.user(), title="同步问题", body_md="我的青禾同步器一直转圈。")
    assert client.post(f"{URL}/words", {"word": "青禾同步器"}).status_code == 302
    hits = client.get("/api/v1/search", query_string={"q": "青禾同步器"}).json["results"]
    assert [(hit["type"], hit["id"]) for hit in hits] == [("forum", topic.id)]

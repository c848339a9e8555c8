"""GET /search/autocomplete: prefixes, words inside titles, pinyin, popular queries, solved
topics, bad input, and the index's broad-prefix shortcut."""

import re

import pytest

from portal.forum.services import accept_answer, create_topic, reply
from portal.searching import autocomplete
from portal.searching.autocomplete import Entry, build_autocomplete_index

BOT = {"User-Agent": "curl/8.0"}


@pytest.fixture
def corpus(app, make):
    app.config["AUTOCOMPLETE_REFRESH_SECONDS"] = 0
    make.article("七天无理由退货政策", slug="return-policy", tags=["退货"], body="退货。")
    make.article("退款多久到账", slug="refund-time", body="一到三个工作日。")
    make.article("Installing Qinghe Notes on Linux", slug="install-linux", language="en")
    make.article("退货草稿", slug="draft", status="draft")
    asker, helper = make.user(), make.user()
    solved = create_topic(asker, title="退货运费谁承担？", body_md="运费怎么算？")
    accept_answer(solved, reply(solved, helper, "商家承担。"), asker)
    create_topic(asker, title="退货没人回答", body_md="等了很久。")
    return solved


def suggest(client, q):
    response = client.get("/search/autocomplete", query_string={"q": q})
    assert response.status_code == 200
    return response.json["suggestions"]


def texts(client, q):
    return [s["text"] for s in suggest(client, q)]


def test_json_shape_and_urls(client, corpus):
    data = client.get("/search/autocomplete?q=七天").json
    assert data == {
        "q": "七天",
        "suggestions": [
            {"text": "七天无理由退货政策", "kind": "article", "url": "/a/return-policy"}
        ],
    }
    topic = [s for s in suggest(client, "退货运") if s["kind"] == "topic"]
    assert topic == [{"text": "退货运费谁承担？", "kind": "topic", "url": f"/forum/t/{corpus.id}"}]


def test_matches_title_start_word_inside_and_folded_text(client, corpus):
    assert "七天无理由退货政策" in texts(client, "政策")  # a word inside the title
    assert "Installing Qinghe Notes on Linux" in texts(client, "LIN")  # case folded
    assert "Installing Qinghe Notes on Linux" in texts(client, "qinghe no")
    assert "退款多久到账" in texts(client, "退款多久到帳")  # traditional folded


def test_pinyin_prefix(client, corpus):
    assert "七天无理由退货政策" in texts(client, "tuih")
    assert "七天无理由退货政策" in texts(client, "tui huo")
    assert "退款多久到账" in texts(client, "tuikuan")
    assert "退款多久到账" not in texts(client, "tuih")


def test_drafts_and_unsolved_topics_are_not_suggested(client, corpus):
    found = texts(client, "退货")
    assert "退货草稿" not in found and "退货没人回答" not in found
    assert {"七天无理由退货政策", "退货运费谁承担？"} <= set(found)


def test_popular_successful_queries_from_enough_people_are_suggested(app, client, corpus):
    from tests.conftest import Client

    def elsewhere(n):
        return {"REMOTE_ADDR": f"10.2.0.{n}"}

    client.get("/search?q=退款到账")
    assert "退款到账" not in texts(client, "退款到")  # one person's query stays theirs
    for n in range(1, app.config["SUGGESTION_MIN_SEARCHERS"]):
        Client(app).get("/search?q=退款到账", environ_base=elsewhere(n))
        Client(app).get("/search?q=qqzzx", environ_base=elsewhere(n))  # no results
        Client(app).get("/search?q=退款到账单", headers=BOT, environ_base=elsewhere(n))
    found = suggest(client, "退款到")
    assert {
        "text": "退款到账",
        "kind": "query",
        "url": "/search?q=%E9%80%80%E6%AC%BE%E5%88%B0%E8%B4%A6",
    } in found
    assert [s["text"] for s in found if s["kind"] == "query"] == ["退款到账"]  # no bot's
    assert suggest(client, "qqzz") == []


@pytest.mark.parametrize(
    "q", ["", " ", "%%%", "\x00", "🙂🙃", "((", "title:", "'; drop table", "zzzzqqqq", "的"]
)
def test_empty_or_garbage_gives_an_empty_or_plain_list(client, corpus, q):
    assert isinstance(suggest(client, q), list)
    assert suggest(client, "zzzzqqqq") == [] and suggest(client, "") == []


def test_undecodable_bytes_are_not_an_error(client, corpus):
    response = client.get("/search/autocomplete?q=%FF%ED%A0%80%C0")
    assert response.status_code == 200 and response.json["suggestions"] == []


def test_overlong_is_empty_and_a_repeated_q_is_a_json_400(client, corpus):
    data = client.get("/search/autocomplete", query_string={"q": "退" * 201}).json
    assert data["suggestions"] == [] and len(data["q"]) == 200
    response = client.get("/search/autocomplete?q=a&q=b")
    assert response.status_code == 400 and "error" in response.json


def test_at_most_eight_heaviest_first(client, make, corpus):
    for n in range(10):
        make.article(f"打印机问题{n}", slug=f"printer-{n}")
    found = texts(client, "打印机")
    assert len(found) == 8


def test_broad_prefixes_are_precomputed_and_return_the_heaviest(monkeypatch):
    monkeypatch.setattr(autocomplete, "SCAN_LIMIT", 5)
    entries = [Entry(f"apple {n:02d}", "article", weight=n, doc_id=n) for n in range(30)]
    entries += [Entry("banana", "query", weight=100)]
    index = build_autocomplete_index(entries)
    assert "a" in index.broad and "b" not in index.broad
    assert [e.text for e in index.lookup("ap", 3)] == ["apple 29", "apple 28", "apple 27"]
    assert [e.text for e in index.lookup("apple 0", 2)] == ["apple 09", "apple 08"]
    assert [e.text for e in index.lookup("ban")] == ["banana"]
    long_text = "x" * 40
    index = build_autocomplete_index(
        [Entry(long_text, "query", 1), Entry("x" * 20 + "y" * 20, "query", 2)]
    )
    assert [e.text for e in index.lookup("x" * 30)] == [long_text]  # checked past the key


def test_every_page_loads_the_script_without_inline_code(client, corpus):
    for url in ("/", "/search?q=退货", "/a/return-policy"):
        page = client.get(url).get_data(as_text=True)
        assert re.search(
            r'js/autocomplete\.js\?v=[0-9a-f]{10}" data-url="/search/autocomplete"', page
        )
        assert 'role="search"' in page and "onkeydown" not in page and "<script>" not in page


def test_packed_keys_bisect_like_the_sorted_list_they_replace():
    from bisect import bisect_left

    from portal.searching.autocomplete import _END, PackedStrings

    keys = sorted(["tuihuo", "tuih", "退货", "退货政策", "發票", "a", "z", "😀x", "", "ab c"])
    packed = PackedStrings(keys)
    assert len(packed) == len(keys) and [packed[i] for i in range(len(keys))] == keys
    for probe in ["", "a", "tui", "退", "退货", "發", "😀", "zz", "\u0001"]:
        for edge in (probe, probe + _END):
            assert bisect_left(packed, edge) == bisect_left(keys, edge)
    assert packed == PackedStrings(list(keys)) and packed != PackedStrings(keys[1:])


def test_packed_entries_read_back_as_the_entries_they_were_built_from():
    from portal.searching.autocomplete import PackedEntries

    entries = [
        Entry("七天无理由退货政策", "article", 12, 7, "return-policy"),
        Entry("退货运费谁承担？", "topic", 3, 2**40),  # no slug, a large id
        Entry("tui huo", "query", 0),  # no doc_id, no slug
        Entry("𠀋𡈽 emoji 😀 and \U0010ffff", "query", -1, 0, "𠀋-slug"),
        Entry("", "article", 2**62, None, ""),
    ]
    packed = PackedEntries(entries)
    assert len(packed) == len(entries) and list(packed) == entries
    assert all(type(packed[i]) is Entry for i in range(len(entries)))
    assert packed[1].doc_id == 2**40 and packed[2].doc_id is None and packed[3].doc_id == 0
    assert packed[-1] == entries[-1] and packed[-len(entries)] == entries[0]
    for outside in (len(entries), -len(entries) - 1):
        with pytest.raises(IndexError):
            packed[outside]
    assert packed == PackedEntries(list(entries)) and packed != PackedEntries(entries[1:])
    assert len(PackedEntries([])) == 0 and list(PackedEntries([])) == []


def test_the_built_index_keeps_its_entries_packed():
    from portal.searching.autocomplete import PackedEntries

    entries = [Entry("退货政策", "article", 5, 1, "returns"), Entry("退货", "query", 9)]
    index = build_autocomplete_index(entries)
    assert isinstance(index.entries, PackedEntries)
    assert list(index.entries) == [entries[1], entries[0]]  # heaviest first
    assert index.lookup("tuih") == [entries[1], entries[0]]

"""Every SearchBackend ranks and matches alike: titles over bodies, fresh over stale, more
matched terms first, the document boost; unknown words, typos, stop-word-only queries and
function characters found through their Han characters and bigrams; rare words over common."""

from datetime import UTC, datetime

import pytest

from search.backend import SearchRequest
from search.postgres.backend import PostgresBackend
from tests.search_helpers import doc, keys


def test_title_match_ranks_above_body_only_match(backend):
    filler = "这里是一些关于账户设置的说明。"
    backend.apply(
        [
            doc(1, "账户设置", filler + "如需开具发票请联系客服。" + filler),
            doc(2, "发票开具指南", filler + filler),
        ],
        [],
    )
    assert keys(backend, "发票") == ["article:2", "article:1"]


def test_recently_updated_ranks_above_the_same_text_updated_long_ago(backend):
    """Freshness (search/ranking.py) breaks ties between equally good texts, in every engine."""
    now = datetime.now(UTC).replace(tzinfo=None)
    backend.apply(
        [
            doc(
                1,
                "发票抬头修改",
                "在订单详情页修改发票抬头。",
                updated=now.replace(year=now.year - 3),
            ),
            doc(2, "发票抬头修改", "在订单详情页修改发票抬头。", updated=now),
            doc(3, "发票抬头修改", "在订单详情页修改发票抬头。"),  # no date: no freshness bonus
        ],
        [],
    )
    ranked = keys(backend, "发票抬头")
    assert ranked[0] == "article:2" and set(ranked[1:]) == {"article:1", "article:3"}


def test_more_matched_terms_rank_first(backend):
    backend.apply(
        [
            doc(1, "发票发票发票", "发票 发票 发票 发票"),
            doc(2, "修改发票抬头", "在订单页面修改发票抬头"),
        ],
        [],
    )
    assert keys(backend, "我想修改发票抬头怎么弄")[0] == "article:2"


def test_document_boost_changes_order(backend):
    backend.apply(
        [doc(1, "密码重置", "重置密码", boost=1.0), doc(2, "密码重置", "重置密码", boost=3.0)], []
    )
    first = backend.search(SearchRequest("密码")).hits
    assert [h.key for h in first] == ["article:2", "article:1"]
    assert first[0].score == pytest.approx(first[1].score * 3.0)
    backend.apply([doc(1, "密码重置", "重置密码", boost=5.0)], [])
    assert keys(backend, "密码") == ["article:1", "article:2"]


def test_unknown_word_is_found_through_its_characters(backend):
    # The segmenter cuts 花呗 into 花 + 呗; the bigram field still holds 花呗.
    backend.apply([doc(1, "花呗付款说明", "分期付款"), doc(2, "鲜花配送", "花店")], [])
    assert keys(backend, "能用花呗吗")[0] == "article:1"


def test_typo_inside_a_word_is_found_through_a_bigram(backend):
    # 发漂 is a typo of 发票; 抬头 still matches as a bigram and a word.
    backend.apply([doc(1, "申请开具发票抬头", "说明"), doc(2, "退货", "说明")], [])
    assert keys(backend, "发漂抬头") == ["article:1"]


def test_a_query_of_stop_words_only_is_found_through_its_bigrams(backend):
    # 我, 是 and 谁 are stop words, yet 我是谁呀 asks something: its bigrams 我是 and 是谁
    # still match. Bigrams that are stop words themselves (请问, 怎么) match nothing.
    backend.apply(
        [doc(1, "你知道我是谁吗", "问答"), doc(2, "谁是你的老师", "请问怎么联系老师")], []
    )
    assert keys(backend, "我是谁呀") == ["article:1"]
    result = backend.search(SearchRequest("请问 怎么"))
    assert (result.total, result.tokens) == (0, [])


def test_a_function_character_of_the_query_counts_as_a_character(backend):
    # 你 is a stop word, so no word of 你的老师 tells these apart, nor does a bigram (both
    # share 老师 only); the character 你 does (ranking.FUNCTION_CHAR_WEIGHT). Other
    # documents keep 你 under ranking.CHAR_MAX_DOCUMENT_SHARE, as in any real index.
    others = [doc(n, f"说明{n}", "说明") for n in range(3, 7)]
    backend.apply([doc(1, "老师我", "老师我"), doc(2, "老师你", "老师你"), *others], [])
    assert keys(backend, "你的老师") == ["article:2", "article:1"]


def test_a_character_in_most_documents_is_not_scored(backend):
    # 你 is in four of five documents (over ranking.CHAR_MAX_DOCUMENT_SHARE): it tells
    # nothing apart, so the two 老师 documents score alike, with or without it.
    if isinstance(backend, PostgresBackend):
        pytest.skip("postgres scores every character (search/ranking.py says why)")
    others = [doc(n, f"你说明{n}", "说明") for n in range(3, 6)]
    backend.apply([doc(1, "老师我", "老师我"), doc(2, "老师你", "老师你"), *others], [])
    hits = backend.search(SearchRequest("你的老师")).hits
    assert sorted(hit.key for hit in hits[:2]) == ["article:1", "article:2"]
    assert hits[0].score == pytest.approx(hits[1].score)


def test_a_rare_query_word_outweighs_a_common_one(backend):
    # 帐号 is in every document but one, 发票 in one: idf (on postgres from the index's
    # document counts, search/postgres/idf.py) ranks the 发票 document first.
    common = [doc(n, f"帐号{n}", "说明") for n in range(2, 7)]
    backend.apply([doc(1, "帐号设置", "说明"), *common, doc(7, "发票设置", "说明")], [])
    assert keys(backend, "帐号 发票")[0] == "article:7"

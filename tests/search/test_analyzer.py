"""Tests for search.analyzer and the Whoosh tokenizer built on it."""

import pickle
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from search.analyzer import (
    add_user_words,
    analyze,
    fold,
    normalize_query,
    tokenize,
)
from search.backend import IndexDocument, SearchRequest
from search.index_words import index_words
from search.ngrams import char_grams, grams_text, informative_chars
from search.token_documents import document_tokens, tags_text, token_row
from search.whoosh.analysis import PortalTokenizer, portal_analyzer
from search.whoosh.backend import WhooshBackend
from tests import ROOT


def test_a_word_cache_of_the_callers_gives_the_same_tokens_and_leaves_the_process_one_alone():
    from search import analyzer

    text = "青禾笔记 installs zqxv4711 on 退货政策页 Refunding"
    cached = analyzer._word_terms.cache_info().currsize
    mine: dict = {}
    tokens = analyze(text, "query", word_cache=mine)
    assert analyzer._word_terms.cache_info().currsize == cached and "zqxv4711" in mine
    assert tokens == analyze(text, "query")
    assert analyze(text, "index", word_cache={}) == analyze(text, "index")


def test_index_mode_emits_words_and_subwords():
    assert {"退货", "政策"} <= set(tokenize("退货政策", mode="index"))
    tokens = analyze("客户服务", mode="index")
    assert {t.text for t in tokens} == {"客户", "服务", "客户服务"}
    # Sub-words share the position of the word they came from.
    assert {t.position for t in tokens} == {0}


def test_index_mode_adds_long_dictionary_subwords():
    # rjieba itself only adds 2- and 3-character sub-words.
    tokens = analyze("中华人民共和国", mode="index")
    assert "中华人民" in {t.text for t in tokens}
    assert {t.position for t in tokens} == {0}


def test_query_mode_keeps_whole_words():
    assert tokenize("客户服务") == ["客户服务"]
    assert tokenize("退货政策") == ["退货", "政策"]


def test_positions_count_words_not_subwords():
    tokens = analyze("客户服务 退货政策", mode="index")
    positions = {t.text: t.position for t in tokens}
    assert positions["客户"] == positions["客户服务"] == 0
    assert positions["退货"] == 1
    assert positions["政策"] == 2


def test_fold_traditional_to_simplified():
    assert fold("客戶服務") == "客户服务"
    assert fold("退貨") == "退货"
    assert fold("帳號") == "账号"
    assert fold("賬號") == fold("账号") == fold("帐号") == "账号"


def test_fold_width_and_case():
    assert fold("ＡＢＣ１２３") == "abc123"
    assert fold("Ａ\u3000B") == "a b"
    assert tokenize("ＡＢＣ１２３") == ["abc123"]


def test_fold_keeps_characters_whose_lowercase_is_longer():
    # "İ".lower() is two characters; fold must not change the length.
    assert len(fold("İstanbul")) == len("İstanbul")
    assert fold("İstanbul").endswith("stanbul")


@settings(max_examples=300)
@given(st.text())
def test_fold_preserves_length(text):
    assert len(fold(text)) == len(text)


@given(st.text(alphabet=st.characters(categories=["Cs", "Lo", "Zs", "Lu"])))
def test_fold_and_analyze_survive_lone_surrogates(text):
    assert len(fold(text)) == len(text)
    analyze(text, mode="index")


def test_english_stemming():
    assert tokenize("refunds") == tokenize("refunding") == tokenize("refund") == ["refund"]
    assert tokenize("shipping") == tokenize("ship")


def test_stop_words_dropped():
    assert tokenize("我想修改发票抬头怎么弄") == ["想", "修改", "发票", "抬头"]
    assert tokenize("how do I get a refund?") == ["get", "refund"]
    assert tokenize("的 了 吗 是 在 the of and") == []


def test_punctuation_and_whitespace_only():
    assert analyze("，。！？ …… \t\n ()[]{}<> 😀 \x00") == []
    assert analyze("") == []


def test_numbers_and_codes():
    assert tokenize("错误码 E1001") == ["错误码", "e1001"]
    assert "4.2.1" in tokenize("版本4.2.1")
    assert tokenize("QH-1234") == ["qh", "1234"]


def test_mixed_chinese_and_english():
    tokens = tokenize("青禾笔记 sync conflict 同步冲突")
    assert {"sync", "conflict", "同步", "冲突"} <= set(tokens)


def test_offsets_map_to_original_text():
    text = "客戶服務：ＲＥＦＵＮＤＳ 退貨政策 v4.2.1"
    tokens = analyze(text, mode="index")
    assert tokens
    for token in tokens:
        original = text[token.start : token.end]
        folded = fold(original)
        # Stemming may shorten English words; everything else is the folded slice.
        assert folded == token.text or folded.startswith(token.text), (token, original)
    assert text[tokens[0].start : tokens[0].end] == "客戶服務"


@settings(max_examples=200)
@given(st.text(max_size=80))
def test_offsets_and_positions_are_consistent(text):
    tokens = analyze(text, mode="index")
    last_position = 0
    for token in tokens:
        assert 0 <= token.start < token.end <= len(text)
        assert token.position >= last_position
        last_position = token.position


def test_normalize_query():
    assert normalize_query("  客戶   服務\u3000ＡＢＣ \n") == "客户 服务 abc"


def test_add_user_words_keeps_product_terms_whole():
    # A fictional product name, so no other test depends on how it used to segment.
    word = "蓝鲸同步器"
    assert tokenize(word) != [word]
    add_user_words([word, "", "has space"])
    assert tokenize(word) == [word]
    assert tokenize("蓝鯨同步器") == [word]  # the traditional spelling folds onto it


def test_whoosh_tokenizer_matches_analyzer():
    tokenizer = portal_analyzer()
    text = "客戶服務 refunds 退货政策"
    produced = [
        (t.text, t.pos, t.startchar, t.endchar)
        for t in tokenizer(text, positions=True, chars=True, mode="index")
    ]
    expected = [(t.text, t.position, t.start, t.end) for t in analyze(text, mode="index")]
    assert produced == expected
    query_texts = [t.text for t in tokenizer(text, mode="query")]
    assert query_texts == tokenize(text, mode="query")


def test_whoosh_tokenizer_pickles_by_reference():
    tokenizer = pickle.loads(pickle.dumps(portal_analyzer()))
    assert isinstance(tokenizer, PortalTokenizer)
    assert tokenizer == portal_analyzer()


def _doc(key, title, body=""):
    return IndexDocument(
        key=key, doc_type="article", doc_id=int(key.split(":")[1]), title=title, body=body
    )


def test_traditional_and_simplified_find_each_other(tmp_path):
    backend = WhooshBackend(tmp_path / "ix")
    try:
        backend.apply(
            [
                _doc("article:1", "客户服务", "工作时间"),
                _doc("article:2", "售后", "如需退貨請聯繫我們"),
            ],
            [],
        )
        assert [h.key for h in backend.search(SearchRequest("客戶服務")).hits] == ["article:1"]
        assert [h.key for h in backend.search(SearchRequest("退货")).hits] == ["article:2"]
        assert [h.key for h in backend.search(SearchRequest("ＡＢＣ")).hits] == []
    finally:
        backend.close()


def test_add_user_words_as_first_call_in_a_fresh_process():
    # Lazy initialisation happens inside add_user_words's lock; it must not deadlock.
    code = "from search.analyzer import add_user_words, tokenize; add_user_words(['蓝鲸同步器']);"
    code += "assert tokenize('蓝鲸同步器') == ['蓝鲸同步器']"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60, cwd=ROOT)


@pytest.mark.parametrize("text, kept", [("借呗怎么还款", "呗"), ("花呗吗能用", "呗")])
def test_a_particle_cut_out_of_an_unknown_name_is_kept(text, kept):
    assert kept in tokenize(text) and kept in tokenize(text, "index")


@pytest.mark.parametrize("text", ["好吧", "我的书呢", "行吗"])
def test_a_particle_ending_a_sentence_is_still_a_stop_word(text):
    assert not set(tokenize(text)) & set("吧呢吗")


def _split_by_positions(text):
    # The definition index_words() must keep: analyze()'s first token at each position is
    # the whole word, later ones at that position are its sub-words.
    whole, sub, last = [], [], -1
    for token in analyze(text, "index"):
        if token.position == last:
            sub.append(token.text)
        else:
            whole.append(token.text)
            last = token.position
    return whole, sorted(sub)


def _shipped_texts():
    root = ROOT / "kb_articles"
    return [p.read_text(encoding="utf-8") for p in sorted(root.rglob("*.md"))]


def test_index_words_equals_the_analyzer_on_every_shipped_article():
    for text in _shipped_texts():
        whole, sub = index_words(text)
        assert (whole, sorted(sub)) == _split_by_positions(text)


@given(
    st.text(
        alphabet=st.sampled_from(list("退货政策客户服务花呗吗哈哈哈c++4.2.1 Refunds，。的了")),
        max_size=60,
    )
)
@settings(max_examples=300, deadline=None)
def test_index_words_equals_the_analyzer_on_any_text(text):
    whole, sub = index_words(text)
    assert (whole, sorted(sub)) == _split_by_positions(text)


def test_index_words_follows_user_words_added_after_indexing():
    # Per-word results are cached: teaching the segmenter a word must not leave old ones.
    # Fictional product names, so no other test depends on how they used to segment.
    text = "打开紫鲸记账器查看账单"
    add_user_words(["紫鲸记账器"])
    assert "紫鲸记账器" in index_words(text)[0]
    add_user_words(["鲸记账器"])  # now a dictionary sub-word of the longer one
    whole, sub = index_words(text)
    assert "紫鲸记账器" in whole and "鲸记账器" in sub
    assert (whole, sorted(sub)) == _split_by_positions(text)


_FIELD_TEXT = st.text(
    alphabet=st.sampled_from(list("退貨帳號花呗吗ΣσςİIı Ａ１，。\nabc")), max_size=30
)


@given(_FIELD_TEXT, st.lists(_FIELD_TEXT, max_size=3), _FIELD_TEXT)
@settings(max_examples=200, deadline=None)
def test_document_tokens_fold_each_field_once_with_the_same_result(title, tags, body):
    doc = IndexDocument(key="article:1", doc_type="article", doc_id=1, title=title, body=body)
    doc.tags = tags
    joined = f"{title}\n{tags_text(tags)}\n{body}"
    assert document_tokens(doc) == (token_row(doc), *grams_text(joined))


@given(st.text(alphabet=st.sampled_from(list("退货花呗吗abc。 \u4e00\u9fff\uf900")), max_size=40))
@settings(max_examples=200, deadline=None)
def test_grams_text_joins_char_grams(text):
    unigrams, bigrams = char_grams(text)
    assert grams_text(text) == (" ".join(unigrams), " ".join(bigrams))


def test_only_characters_in_at_most_the_documents_share_are_scored():
    counts = {"退": 3, "货": 30, "的": 31}
    # ranking.CHAR_MAX_DOCUMENT_SHARE is 0.3: 30 of 100 documents is the most kept.
    assert informative_chars(["退", "货", "的"], counts.__getitem__, 100) == ["退", "货"]
    assert informative_chars(["退"], counts.__getitem__, 0) == []


# Long texts take the bulk paths (numpy over UTF-16 units): traditional characters, one
# folded to a character beyond the BMP (㑮), characters beyond it (𠁞 folds, 😀 does not),
# lone surrogates, case that depends on context (Σ) or grows (İ), full width, Han block edges.
_BMP_CHARS = list("退貨帳號ΣσİIa Ａ１\u3000，。\n\u33ff\u3400\u4dbf\u4dc0\u4e00\u9fff\ua000")
_BMP_CHARS += list("\uf8ff\uf900\ufaff\ufb00\ud800")
_LONG_TEXT = st.one_of(
    st.text(alphabet=st.sampled_from(chars), min_size=200, max_size=400)
    for chars in (_BMP_CHARS, [*_BMP_CHARS, "㑮"], [*_BMP_CHARS, "𠁞", "😀"])
)


@given(_LONG_TEXT)
@settings(max_examples=200, deadline=None)
def test_folding_a_long_text_in_bulk_equals_folding_it_character_by_character(text):
    from unittest.mock import patch

    from search import folding

    with patch.object(folding, "_ARRAY_FROM", len(text) + 1):
        expected = fold(text)
    assert fold(text) == expected


@given(_LONG_TEXT)
@settings(max_examples=200, deadline=None)
def test_grams_text_of_a_long_text_joins_char_grams(text):
    unigrams, bigrams = char_grams(text)
    assert grams_text(text) == (" ".join(unigrams), " ".join(bigrams))


def test_index_words_from_the_word_cache_equal_the_analyzer():
    # The second time round every word is known, so the text is segmented once and its
    # words' terms come from the cache; particles kept in unknown names stay kept.
    text = "借呗怎么还款？花呗吗能用。退货政策页 installs c++ v4.2.1 客户服务中心"
    first = index_words(text)
    assert index_words(text) == first
    assert (first[0], sorted(first[1])) == _split_by_positions(text)


@given(st.text(alphabet=st.sampled_from(list("ΣσİIa' 退貨\n")), max_size=30), st.integers(0, 30))
@settings(max_examples=300, deadline=None)
def test_fold_prefix_equals_folding_the_prefix(text, length):
    # Capital sigma lower-cases by what follows it; İ makes fold() lower per character.
    from search.folding import fold_prefix

    assert fold_prefix(text, fold(text), length) == fold(text[:length])

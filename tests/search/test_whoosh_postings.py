"""Posting blocks decoded by search/whoosh/postings.py: scores and phrases over posting
lists of several blocks (128 postings each, the last one short) are whoosh's own, whether
a phrase decodes its words' postings itself or finds them cached."""

import re

import pytest
from whoosh import query as wq

from search.whoosh import postings
from search.whoosh.backend import WhooshBackend
from search.whoosh.postings import leaf_postings
from tests.search_helpers import doc

DOCUMENTS = 2 * 128 + 3  # two full blocks and a short one of three postings


def _body(n: int) -> str:
    # Term frequencies (hence weights) vary within every block; the phrase 退货政策 is
    # in a third of the documents, the other two thirds have both words apart.
    extra = " 退货" * (n % 4)
    return ("退货政策" if n % 3 == 0 else "政策 说明 退货") + extra


@pytest.fixture
def arrays(tmp_path):
    backend = WhooshBackend(tmp_path / "index")
    backend.apply([doc(n, f"退货说明 {n}", _body(n)) for n in range(1, DOCUMENTS + 1)], [])
    # A second segment, and a deletion in the first.
    backend.apply([doc(n, "退货政策", _body(n)) for n in range(500, 520)], ["article:7"])
    yield backend._current_view().arrays
    backend.close()


def whoosh_scores(arrays, query):
    return {hit.docnum: hit.score for hit in arrays.searcher.search(query, limit=None)}


def array_scores(arrays, query):
    ids, scores = arrays.scored(query)
    return {d: s for d, s in zip(ids.tolist(), scores.tolist(), strict=True) if arrays.live[d]}


@pytest.fixture(params=["one-read", "through-the-matcher"])
def block_reading(request, monkeypatch):
    """Blocks read from one read of the posting list, or (block headers not as expected)
    a block at a time through whoosh's matcher."""
    if request.param == "through-the-matcher":
        monkeypatch.setattr(postings, "_BLOCK_INFO", re.compile(b"(?!)"))
    return request.param


@pytest.mark.parametrize("field", ["body", "title", "chars"])
def test_postings_decoded_up_to_the_weights_are_whoosh_postings(arrays, field, block_reading):
    text = "退" if field == "chars" else "退货"
    for sub, _offset in arrays.reader.leaf_readers():
        field_format = sub.schema[field].format
        matcher = sub._terms.matcher(field, sub.schema[field].to_bytes(text), field_format)
        expected = list(matcher.all_items())
        matcher = sub._terms.matcher(field, sub.schema[field].to_bytes(text), field_format)
        ids, weights = leaf_postings(matcher)
        assert ids.tolist() == [docnum for docnum, _value in expected]
        assert weights.tolist() == pytest.approx(
            [field_format.decode_weight(value) for _docnum, value in expected]
        )


def test_term_scores_over_several_blocks_are_whoosh_scores(arrays):
    query = wq.Term("body", "退货")
    assert len(arrays.postings("body", "退货")[0]) > 2 * 128
    assert array_scores(arrays, query) == pytest.approx(whoosh_scores(arrays, query))


@pytest.mark.parametrize("cached", [False, True], ids=["decoded-with-values", "cached"])
def test_phrases_over_several_blocks_are_whoosh_phrases(arrays, cached, block_reading):
    if cached:  # the words' postings already cached: the phrase reads their blocks again
        arrays.postings("body", "退货")
        arrays.postings("body", "政策")
    query = wq.Phrase("body", ["退货", "政策"])
    expected = whoosh_scores(arrays, query)
    numbers = [*range(1, DOCUMENTS + 1), *range(500, 520)]
    assert len(expected) == sum(1 for n in numbers if n % 3 == 0)
    assert array_scores(arrays, query) == pytest.approx(expected)
    reversed_words = wq.Phrase("body", ["政策", "说明", "退货"])
    assert array_scores(arrays, reversed_words) == pytest.approx(
        whoosh_scores(arrays, reversed_words)
    )

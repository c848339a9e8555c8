"""Whoosh backend specifics: the query model of search/ranking.py (characters beside words,
the total beyond the candidates, the re-rank) and indexes built before the character
fields existed, or pickled the analyzer under its old module path."""

from datetime import UTC, datetime

import numpy as np
import pytest
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.fields import KEYWORD, Schema

from search import ranking
from search.backend import SearchRequest
from search.whoosh.analysis import GramField
from search.whoosh.arrays import SegmentCache
from search.whoosh.backend import OutdatedIndexError, WhooshBackend
from search.whoosh.schema import build_schema
from tests.search_helpers import doc, keys


@pytest.fixture
def index_dir(tmp_path):
    return tmp_path / "index"


@pytest.fixture
def backend(index_dir):
    backend = WhooshBackend(index_dir)
    yield backend
    backend.close()


def scores(backend, text):
    return {hit.key: hit.score for hit in backend.search(SearchRequest(text)).hits}


def test_characters_alone_do_not_make_a_hit(backend):
    backend.apply([doc(1, "发货时间", "说明")], [])
    # 发 is shared, but no word or bigram: nothing to list (did-you-mean takes over).
    result = backend.search(SearchRequest("发漂"))
    assert (result.total, result.hits) == (0, [])


def test_characters_add_to_the_score_of_hits(backend):
    backend.apply([doc(1, "发票说明", "开票"), doc(2, "发票说明", "说明")], [])
    # Both are hits through 发票; article 1 also has the query's character 开.
    assert keys(backend, "发票 开") == ["article:1", "article:2"]


def test_total_counts_every_match_beyond_the_candidates(backend):
    docs = [doc(n, f"退货说明 {n}", "退货") for n in range(1, ranking.CANDIDATES + 51)]
    backend.apply(docs, [])
    result = backend.search(SearchRequest("退货", per_page=10, page=3))
    assert result.total == ranking.CANDIDATES + 50
    assert [hit.rank for hit in result.hits] == list(range(21, 31))
    last = backend.search(SearchRequest("退货", per_page=10, page=25))
    assert len(last.hits) == 10 and last.hits[-1].rank == ranking.CANDIDATES + 50


def test_total_respects_filters_exclusions_and_deletions(backend):
    backend.apply(
        [
            doc(1, "发票", language="zh-CN"),
            doc(2, "发票 抬头", language="zh-CN"),
            doc(3, "发票", language="en"),
            doc(4, "发票", doc_type="forum"),
        ],
        [],
    )
    assert backend.search(SearchRequest("发票")).total == 4
    assert backend.search(SearchRequest("发票", language="zh-CN")).total == 2
    assert backend.search(SearchRequest("发票", doc_type="forum")).total == 1
    assert backend.search(SearchRequest("发票 -抬头")).total == 3
    backend.apply([], ["article:1"])
    assert backend.search(SearchRequest("发票", language="zh-CN")).total == 1


def test_freshness_and_boost_are_applied_in_the_rerank(backend):
    now = datetime.now(UTC)
    year_ago = now.replace(year=now.year - 1)
    backend.apply(
        [
            doc(1, "发票", "说明"),
            doc(2, "发票", "说明", updated=year_ago),
            doc(3, "发票", "说明", updated=now),
            doc(4, "发票", "说明", boost=2.0),
        ],
        [],
    )
    hits = scores(backend, "发票")
    base = hits["article:1"]  # no date: no freshness bonus
    assert hits["article:3"] == pytest.approx(base * ranking.freshness_boost(0), rel=1e-4)
    year_old = ranking.freshness_boost(ranking.age_in_days(year_ago))
    assert hits["article:2"] == pytest.approx(base * year_old, rel=1e-4)
    assert hits["article:4"] == pytest.approx(base * 2.0)


def test_coordination_is_applied_in_the_rerank(backend):
    backend.apply([doc(1, "发票 抬头"), doc(2, "发票")], [])
    hits = scores(backend, "发票 抬头 退货")
    assert set(hits) == {"article:1", "article:2"}
    assert hits["article:1"] > hits["article:2"]
    # Synonyms count as the word they stand for: 退款 is one of 退货's.
    backend.apply([doc(3, "发票 退款")], [])
    hits = scores(backend, "发票 退货")
    assert hits["article:3"] > hits["article:2"]


def test_coordination_with_a_required_clause(backend):
    backend.apply([doc(1, "发票 抬头 修改"), doc(2, "发票 抬头"), doc(3, "抬头 修改")], [])
    assert keys(backend, "+抬头 发票 修改") == ["article:1", "article:2", "article:3"]


def test_an_index_without_the_character_fields_is_refused_until_rebuilt(index_dir, caplog):
    current = build_schema()
    older = Schema(
        **{name: field for name, field in current.items() if name not in ("chars", "bigrams")}
    )
    index_dir.mkdir()
    writer = whoosh_index.create_in(str(index_dir), older).writer()
    writer.add_document(key="article:1", doc_type="article", doc_id=1, title="发票")
    writer.commit()

    backend = WhooshBackend(index_dir)  # opens (the reindex command needs it) and warns
    try:
        assert "search reindex" in caplog.text
        assert backend.document_count() == 1
        with pytest.raises(OutdatedIndexError, match="flask --app wsgi search reindex"):
            backend.search(SearchRequest("发票"))
        with pytest.raises(OutdatedIndexError):
            backend.apply([doc(2, "退货")], [])
        assert backend.rebuild([doc(1, "发票"), doc(2, "花呗说明")]) == 2
        assert keys(backend, "发票") == ["article:1"]
        assert keys(backend, "能用花呗吗") == ["article:2"]
        backend.apply([doc(3, "退货")], [])
        assert keys(backend, "退货") == ["article:3"]
    finally:
        backend.close()


def test_an_index_pickled_with_the_old_analysis_path_still_opens(index_dir):
    """Indexes written before the engine moved to search/whoosh/ name the tokenizer and
    GramField by search.whoosh_analysis: the shim module keeps them readable."""
    writer = WhooshBackend(index_dir)
    writer.apply([doc(1, "发票说明", "开票")], [])
    writer.close()
    tocs = list(index_dir.glob("*.toc"))
    assert tocs
    for toc in tocs:  # the two paths have the same length, so the pickle stays valid
        data = toc.read_bytes()
        assert b"search.whoosh.analysis" in data
        toc.write_bytes(data.replace(b"search.whoosh.analysis", b"search.whoosh_analysis"))

    schema = whoosh_index.open_dir(str(index_dir)).schema
    assert type(schema["title"].analyzer).__module__ == "search.whoosh.analysis"
    assert isinstance(schema["chars"], GramField)
    backend = WhooshBackend(index_dir)
    try:
        assert keys(backend, "发票") == ["article:1"]
    finally:
        backend.close()


@pytest.mark.parametrize(
    "query",
    [
        wq.Term("body", "退货"),
        wq.Term("title", "退货", boost=0.6),
        wq.Term("chars", "退", boost=0.3),
        wq.Phrase("body", ["退货", "政策"]),
        wq.Phrase("title", ["退货", "政策"], boost=2.0),
        wq.Phrase("body", ["政策", "退货"]),
        wq.Term("body", "不存在"),
    ],
    ids=str,
)
def test_array_scores_are_whoosh_scores(backend, query):
    """The numpy scoring (search/whoosh/arrays.py) gives whoosh's own BM25F scores, over
    several segments and deletions."""
    backend.apply(
        [doc(1, "退货政策", "本店的退货政策如下，退货 政策"), doc(2, "退货", "政策变化后退货")], []
    )
    backend.apply([doc(3, "说明", "退货政策 退货政策 退货"), doc(4, "政策 退货", "退")], [])
    backend.apply([doc(5, "退货政策说明", "长" * 40 + "退货政策")], ["article:2"])
    arrays = backend._current_view().arrays
    searcher = arrays.searcher
    expected = {hit.docnum: hit.score for hit in searcher.search(query, limit=None)}
    ids, scores = arrays.scored(query)
    got = {d: s for d, s in zip(ids.tolist(), scores.tolist(), strict=True) if arrays.live[d]}
    assert got == pytest.approx(expected)
    assert expected or query == wq.Term("body", "不存在")  # the cases do match something


def test_gram_field_indexes_what_keyword_would():
    value = "发 票 发 抬 头 發"
    assert sorted(GramField().index(value)) == sorted(KEYWORD(scorable=True).index(value))


def test_segment_cache_keeps_what_fits_and_drops_the_least_recently_used():
    cache = SegmentCache(max_bytes=2 * 800)
    loads = []

    def loader(name):
        return lambda: loads.append(name) or (np.zeros(100),)  # 800 bytes

    for name in ("a", "b", "a", "c", "a", "b"):
        cache.get((name,), loader(name))
    assert loads == ["a", "b", "c", "b"]  # c pushed out b (a was used since)


def test_a_read_that_loses_its_files_to_a_merge_is_repeated_on_the_new_generation(
    tmp_path, monkeypatch
):
    """Step 10 finding 6: under concurrent writes a search failed with whoosh's TypeError in
    stored_fields (a merge deleted the files of the generation the searcher had opened).
    Such a read is repeated once on a fresh searcher instead of answering 500."""
    import inspect

    from whoosh.reading import MultiReader, SegmentReader

    from search.backend import IndexDocument, SearchRequest
    from search.whoosh.backend import WhooshBackend

    backend = WhooshBackend(tmp_path / "index")
    backend.apply(
        [
            IndexDocument(
                key=f"article:{n}",
                doc_id=n,
                title=f"发票问题 {n}",
                body="",
                slug=f"s{n}",
                doc_type="article",
            )
            for n in range(3)
        ],
        [],
    )
    failures = {"left": 2}  # the search's read and the suggestion's read each fail once
    originals = {cls: cls.stored_fields for cls in (SegmentReader, MultiReader)}

    def flaky(cls):
        def stored_fields(self, docnum):
            if failures["left"] and docnum >= 0 and not _opening():
                failures["left"] -= 1
                raise TypeError("'NoneType' object is not subscriptable")
            return originals[cls](self, docnum)

        return stored_fields

    def _opening():  # the searcher opening its stored-fields files is not a search's read
        return any(frame.function == "_open_stored_fields" for frame in inspect.stack())

    for cls in originals:
        monkeypatch.setattr(cls, "stored_fields", flaky(cls))
    results = backend.search(SearchRequest("发票"))
    assert results.total == 3 and len(results.hits) == 3
    assert backend.suggest("发票")
    assert failures["left"] == 0

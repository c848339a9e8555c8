"""PostgreSQL backend specifics: lexeme quoting, the query model on RUM and on plain GIN,
suggestions, server limits and configuration (the layout check, the rebuild swap and
concurrent writers: test_postgres_rebuild.py). Skipped when no PostgreSQL server answers."""

import uuid
from datetime import UTC, datetime

import pytest

from portal import create_app
from portal.indexing.backend import close_backend, get_backend
from search import ranking
from search.backend import SearchRequest
from search.postgres import backend as postgres_backend
from search.postgres.backend import PostgresBackend
from search.postgres.idf import DocumentFrequencies, bm25_idf
from search.postgres.query import (
    GRAM_MARK,
    SUB_MARK,
    TITLE_MARK,
    tsquery_lexeme,
    tsvector_literal,
)
from search.postgres.store import (
    enable_rum,
    quote_table,
    table_state,
)
from search.token_documents import TokenRow
from tests.conftest import _app_config
from tests.search.test_query_robustness import HOSTILE, assert_safe_html
from tests.search_helpers import doc, instances, keys

pytestmark = pytest.mark.postgres  # needs a PostgreSQL server (skips without one)

NASTY_TOKENS = [
    "it's",
    "''",
    "'",
    "a\\b",
    "\\",
    "\\'",
    "x:y",
    "a:*",
    ":A",
    "&",
    "|",
    "!",
    "<->",
    "(",
    ")",
    "*",
    '"',
    "a&b|c",
    "!x",
    "退货:1A",
    "%s",
    "{0}",
    "é",
]


@pytest.fixture
def open_backend(postgres_url, postgres_table):
    with instances(lambda: PostgresBackend(postgres_url, postgres_table)) as open_one:
        yield open_one


@pytest.fixture
def backend(open_backend):
    return open_backend()


@pytest.fixture(params=["rum", "gin"])
def model_backend(request, postgres_url, postgres_table, sql):
    """The backend with its pool ordered by the RUM index, and forced onto plain GIN."""
    rum = request.param == "rum"
    if rum and not enable_rum(sql):
        pytest.skip("the rum extension is not installed on this PostgreSQL server")
    with instances(lambda: PostgresBackend(postgres_url, postgres_table, rum=rum)) as open_one:
        backend = open_one()
        assert backend.uses_rum is rum
        assert table_state(sql, postgres_table).rum is rum
        yield backend


def test_hostile_tokens_round_trip_as_lexemes(sql):
    """Quotes, backslashes, colons and operators inside tokens stay literal text."""
    row = TokenRow("", "", " ".join(NASTY_TOKENS), "", "", "")
    lexemes = sql.execute(
        "SELECT array_agg(lexeme) FROM unnest(%s::tsvector)", [tsvector_literal(row)]
    ).fetchone()[0]
    assert sorted(lexemes) == sorted(NASTY_TOKENS)
    for token in NASTY_TOKENS:
        found = sql.execute(
            "SELECT %s::tsvector @@ %s::tsquery", [tsvector_literal(row), tsquery_lexeme(token)]
        ).fetchone()[0]
        assert found, token
        other = TokenRow("plain", "", "", "", "", "")
        assert not sql.execute(
            "SELECT %s::tsvector @@ %s::tsquery", [tsvector_literal(other), tsquery_lexeme(token)]
        ).fetchone()[0]


def test_server_limits_never_fail_a_write(backend):
    """Over-long tokens, >256 occurrences and >16383 positions are trimmed, not refused."""
    long_token = "x" * 3000
    body = " ".join(["发票"] * 400 + [long_token] + [f"词{n}" for n in range(20_000)] + ["抬头"])
    backend.apply([doc(1, "长文档", body + "\x00")], [])
    assert keys(backend, "发票") == ["article:1"]
    assert keys(backend, "抬头") == ["article:1"]  # clamped to the last position, still found


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_never_raises(backend, text):
    backend.apply([doc(1, "退货政策", '七天无理由退货。<b>注意</b> & "quoted" c++ it\'s a\\b')], [])
    result = backend.search(SearchRequest(text, doc_type=text or None, language=text or None))
    for hit in result.hits:
        assert_safe_html(hit.snippet)
        assert_safe_html(hit.title_html)
    assert isinstance(backend.suggest(text), list)
    assert backend.search(SearchRequest(text, category_id=text)).total == 0  # no categories


def test_phrases_use_whole_words_only(backend):
    """As in the FTS5 backend, a sub-word (服务 inside 客户服务) matches terms, not phrases."""
    backend.apply([doc(1, "说明", "客戶服務會處理")], [])
    assert keys(backend, "服务") == ["article:1"]
    assert keys(backend, '"客户服务 处理"') == ["article:1"]
    assert keys(backend, '"服务 处理"') == []
    assert SUB_MARK.isspace()  # the mark is a character no token can contain


def test_characters_bigrams_and_title_words_are_marked_lexemes(sql):
    """Query characters never meet words: they live behind GRAM_MARK, with weight D; the
    title's words are repeated behind TITLE_MARK for the GIN pool's title tier."""
    literal = tsvector_literal(TokenRow("花", "", "", "", "", ""), "花 呗", "花呗")
    rows = dict(
        sql.execute("SELECT lexeme, weights FROM unnest(%s::tsvector)", [literal]).fetchall()
    )
    assert rows == {
        "花": ["A"],
        GRAM_MARK + "花": ["D"],
        GRAM_MARK + "呗": ["D"],
        GRAM_MARK + "花呗": ["D"],
        TITLE_MARK + "花": ["A"],
    }


def test_synonyms_boost_and_freshness_scale_the_score(model_backend):
    """English words, so no Han character or bigram adds to either score; return and
    refund are in as many documents, so they have the same idf."""
    backend = model_backend
    now = datetime.now(UTC)
    backend.apply(
        [
            doc(1, "return", "note"),
            doc(2, "refund", "note"),
            doc(3, "return", "note", boost=2.0, updated=now),
            doc(4, "refund", "other"),
        ],
        [],
    )
    scores = {h.key: h.score for h in backend.search(SearchRequest("return")).hits}
    assert scores["article:2"] == pytest.approx(scores["article:1"] * ranking.SYNONYM_WEIGHT)
    assert scores["article:3"] == pytest.approx(
        scores["article:1"] * 2.0 * ranking.freshness_boost(0), rel=1e-4
    )


def test_total_counts_hits_beyond_the_candidates(model_backend):
    """The total is the index's count, not the ranked candidates; deep pages still rank."""
    backend = model_backend
    backend.apply([doc(n, f"发票 {n}", "开具发票") for n in range(1, 451)], [])
    first = backend.search(SearchRequest("发票"))
    assert first.total == 450 > ranking.CANDIDATES and len(first.hits) == 10
    deep = backend.search(SearchRequest("发票", page=45))
    assert deep.total == 450 and [h.rank for h in deep.hits] == list(range(441, 451))
    every = {
        h.key
        for page in range(1, 10)
        for h in backend.search(SearchRequest("发票", page=page, per_page=50)).hits
    }
    assert len(every) == 450


def test_total_is_exact_up_to_the_cap(model_backend, monkeypatch):
    """Beyond TOTAL_CAP hits the total is the cap ("at least that many"), found in the
    rows of a word in more than twice as many documents (450 >= 2 x 200) or counted;
    a page deeper than the cap still ranks, and counts as far as it reaches; fewer hits
    are exact, also when the filter leaves few of that word's rows."""
    monkeypatch.setattr(postgres_backend, "TOTAL_CAP", 200)
    monkeypatch.setattr(postgres_backend, "GIN_POOL", 200)
    monkeypatch.setattr(postgres_backend, "RUM_POOL", 200)
    backend = model_backend
    backend.apply(
        [doc(n, f"发票 {n}", "开具发票 退货" if n <= 5 else "开具发票") for n in range(1, 451)], []
    )
    capped = backend.search(SearchRequest("发票"))
    assert (capped.total, capped.total_is_lower_bound) == (200, True)
    assert backend.search(SearchRequest("发票", doc_type="article")).total == 200
    # 发票 is in 450 rows, but only 3 are forum topics: the rest is counted after all.
    backend.apply([doc(n, "发票", "说明", doc_type="forum") for n in range(1, 4)], [])
    forum = backend.search(SearchRequest("发票", doc_type="forum"))
    assert (forum.total, forum.total_is_lower_bound) == (3, False)
    deep = backend.search(SearchRequest("发票", page=45))
    assert deep.total == 450 and [h.rank for h in deep.hits] == list(range(441, 451))
    assert deep.total_is_lower_bound  # 453 hits with the three topics
    assert backend.search(SearchRequest("退货")).total == 5


def test_exactly_the_cap_is_an_exact_total(model_backend, monkeypatch):
    monkeypatch.setattr(postgres_backend, "TOTAL_CAP", 200)
    monkeypatch.setattr(postgres_backend, "GIN_POOL", 200)
    monkeypatch.setattr(postgres_backend, "RUM_POOL", 200)
    model_backend.apply([doc(n, f"发票 {n}", "说明") for n in range(1, 201)], [])
    exact = model_backend.search(SearchRequest("发票"))
    assert (exact.total, exact.total_is_lower_bound) == (200, False)


@pytest.mark.parametrize(
    "text, late_docs",
    [
        ("发票 抬头", [("说明", "发票 抬头")]),  # first tier: every query word
        ("发票", [("发票", "说明")]),  # second tier: a query word in the title
    ],
)
def test_gin_pool_takes_the_likeliest_hits_first(
    postgres_url,
    postgres_table,
    monkeypatch,
    text,
    late_docs,
):
    """On plain GIN, more matches than the pool: the few in a better tier are still
    candidates, though written last, and rank first."""
    monkeypatch.setattr(postgres_backend, "GIN_POOL", 0)  # the pool is then CANDIDATES
    with instances(lambda: PostgresBackend(postgres_url, postgres_table, rum=False)) as open_one:
        backend = open_one()
        backend.apply([doc(n, "说明", "开具发票") for n in range(1, 301)], [])
        backend.apply([doc(n, *late_docs[0]) for n in range(301, 304)], [])
        result = backend.search(SearchRequest(text))
    assert result.total == 303
    assert {h.key for h in result.hits[:3]} == {"article:301", "article:302", "article:303"}


@pytest.mark.parametrize("analysed", [True, False])
def test_idf_counts_come_from_the_column_statistics(backend, sql, postgres_table, analysed):
    """Analysed, the counts of common lexemes come from pg_stats; never analysed, every
    lexeme is counted: either way each operand weighs what counting its rows gives (a
    phrase its rarest word's count, here the same)."""
    backend.apply([doc(n, "退货 发票" if n % 3 else "退货 说明", "正文") for n in range(1, 31)], [])
    table = quote_table(postgres_table)
    if analysed:
        sql.execute(f"ANALYZE {table}")
    operands = [
        "('退货' | '退货 ')",
        "('发票' | '发票 ')",
        "('退货' <-> '发票')",
        tsquery_lexeme(GRAM_MARK + "说"),
        tsquery_lexeme("absent"),
    ]
    idf = DocumentFrequencies(table).idf(sql, operands)
    for operand in operands:
        hits = sql.execute(f"SELECT count(*) FROM {table} WHERE tsv @@ %s::tsquery", [operand])
        assert idf[operand] == pytest.approx(bm25_idf(30, hits.fetchone()[0]))


def test_a_character_only_match_is_not_a_hit(model_backend):
    """货物退回 shares 退 and 货 with 退货, but neither a word nor a bigram."""
    backend = model_backend
    backend.apply([doc(1, "货物退回", "退回的货物"), doc(2, "退货政策", "七天无理由")], [])
    result = backend.search(SearchRequest("退货"))
    assert (result.total, [h.key for h in result.hits]) == (1, ["article:2"])
    assert keys(backend, "退货 -政策") == []


def test_a_name_the_segmenter_cuts_is_found_through_its_bigram(model_backend):
    """In 用花呗付款 the segmenter keeps no word 花; the bigram 花呗 still finds it, and
    鲜花 (only the character) does not."""
    backend = model_backend
    backend.apply([doc(1, "用花呗付款", "付款方式"), doc(2, "鲜花配送", "配送说明")], [])
    result = backend.search(SearchRequest("花呗"))
    assert (result.total, [h.key for h in result.hits]) == (1, ["article:1"])


def test_rum_and_gin_rank_a_small_index_alike(postgres_url, sql):
    """Below the pool bounds both paths rank every match by the same text score."""
    if not enable_rum(sql):
        pytest.skip("the rum extension is not installed on this PostgreSQL server")
    docs = [
        doc(1, "退货政策", "七天无理由退货，运费由买家承担"),
        doc(2, "退款多久到账", "退货后退款"),
        doc(3, "发票抬头", "开具发票", tags=["退货"]),
        doc(4, "花呗分期", "用花呗付款退款"),
        doc(5, "换货", "货物退回仓库", boost=1.5),
        doc(6, "运费险", "退货运费"),
    ]
    results = {}
    for rum in (True, False):
        table = f"search_t{uuid.uuid4().hex[:12]}"
        backend = PostgresBackend(postgres_url, table, rum=rum)
        try:
            backend.apply(docs, [])
            results[rum] = [
                [(h.key, round(h.score, 6)) for h in backend.search(SearchRequest(text)).hits]
                for text in ("退货", "退货 运费", "花呗", "+退货 -发票", '"退货 政策"')
            ]
        finally:
            backend.close()
            sql.execute(f'DROP TABLE "{table}"')
    assert results[True] == results[False]
    assert results[True][0][0][0] == "article:1"  # the title match


def test_suggest_matches_title_prefixes_and_sub_words(backend):
    backend.apply(
        [
            doc(1, "客戶服務時間"),
            doc(2, "退货政策说明", boost=2.0),
            doc(3, "退款多久到账"),
            doc(4, "无关标题", "退货 退款 服务"),  # only the body matches: never a suggestion
        ],
        [],
    )
    assert backend.suggest("服") == ["客戶服務時間"]
    assert backend.suggest("退") == ["退货政策说明", "退款多久到账"]  # boost orders them
    assert backend.suggest("客户 时") == ["客戶服務時間"]
    assert backend.suggest("it's \\ :*") == []


def test_refuses_a_url_that_is_not_postgresql(tmp_path):
    with pytest.raises(ValueError, match="postgresql://"):
        PostgresBackend(f"sqlite:///{tmp_path}/x.db")
    with pytest.raises(ValueError, match="SEARCH_DATABASE_URL"):
        create_app({**_app_config(tmp_path), "SEARCH_BACKEND": "postgres"})


def test_portal_on_sqlite_keeps_its_index_in_postgresql(tmp_path, postgres_url, postgres_table):
    app = create_app(
        {
            **_app_config(tmp_path),
            "SEARCH_BACKEND": "postgres",
            "SEARCH_DATABASE_URL": postgres_url,
            "SEARCH_DATABASE_TABLE": postgres_table,
        }
    )
    backend = get_backend(app)
    try:
        assert isinstance(backend, PostgresBackend) and backend.table == postgres_table
        backend.apply([doc(1, "发票")], [])
        assert keys(backend, "发票") == ["article:1"]
    finally:
        close_backend(app)

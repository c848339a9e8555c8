"""User query parsing rules and robustness of search() against hostile input."""

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search.backend import IndexDocument, SearchRequest, SearchResults
from search.query import MAX_QUERY_CHARS, parse_user_query
from search.whoosh.backend import WhooshBackend

HOSTILE = [
    "",
    " ",
    "\t\n\r ",
    '"',
    '""',
    '"""',
    '"退货',
    '退货"',
    "“退货",
    "「",
    "AND",
    "OR",
    "NOT",
    "AND OR NOT",
    "NOT NOT NOT 退货",
    "退货 AND",
    "AND 退货",
    "title:",
    "title:退货",
    "body:(退货 OR",
    "((",
    "))",
    "(退货",
    "[退货 TO 发票]",
    "{}",
    "*",
    "?",
    "?~^",
    "退*",
    "退货~2",
    "退货^10",
    "\\",
    "\\\\",
    '\\"',
    "\x00",
    "退货\x00政策",
    "\x00" * 50,
    "退" * 10_000,
    "退货 " * 3000,
    "a" * 10_000,
    "😀",
    "😀😀 退货 🚀",
    "'; DROP TABLE articles; --",
    "' OR '1'='1",
    "1; SELECT * FROM users",
    "<script>alert(1)</script>",
    "%s %d {0} ${x}",
    "的了吗",
    "the of and",
    "的 the 吗",
    "，。！？",
    "!@#$%^&*()_+-=",
    "-",
    "+",
    "--",
    "-退货",
    "- + - +",
    '-"退货 政策"',
    "\ud800",
    "退货\udfff政策",
    "\u200b\u200d\ufeff",
    "\u3000\u3000",
]


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    backend = WhooshBackend(tmp_path_factory.mktemp("robust") / "index")
    backend.apply(
        [
            IndexDocument(
                key="article:1",
                doc_type="article",
                doc_id=1,
                title="退货政策",
                body='七天无理由退货。<b>注意</b> & 发票 title:x (AND) "quoted"',
            ),
            IndexDocument(
                key="article:2",
                doc_type="article",
                doc_id=2,
                title="发票抬头",
                body="修改发票抬头 <script>alert(1)</script>",
                tags=["发票"],
            ),
            IndexDocument(
                key="article:3",
                doc_type="article",
                doc_id=3,
                title="Refund <policy>",
                body="Refunds take 5 days & more a < b > c",
                language="en",
            ),
        ],
        [],
    )
    yield backend
    backend.close()


_MARK = re.compile(r"</?mark>")


def assert_safe_html(fragment: str) -> None:
    stripped = _MARK.sub("", fragment)
    assert "<" not in stripped and ">" not in stripped, fragment


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_never_raises(backend, text):
    result = backend.search(SearchRequest(text))
    assert isinstance(result, SearchResults)
    for hit in result.hits:
        assert_safe_html(hit.snippet)
        assert_safe_html(hit.title_html)
    assert isinstance(backend.suggest(text), list)


# Arbitrary unicode, plus text built from indexed words and HTML/query syntax so that
# many examples actually produce highlighted hits.
QUERY_TEXT = st.one_of(
    st.text(),
    st.text(alphabet=list("退货政策发票抬头修改refundsREFUND <>&\"'()*:-+AND「」"), max_size=40),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=QUERY_TEXT)
def test_any_text_searches_safely(backend, text):
    result = backend.search(SearchRequest(text, per_page=5))
    assert result.total >= len(result.hits)
    for hit in result.hits:
        assert_safe_html(hit.snippet)
        assert_safe_html(hit.title_html)


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.characters(codec=None), max_size=300))
def test_parse_never_raises(text):
    parsed = parse_user_query(text)
    assert len(parsed.text) <= MAX_QUERY_CHARS


def test_plain_words_are_should_terms():
    parsed = parse_user_query("我想修改发票抬头怎么弄")
    assert parsed.should == ["想", "修改", "发票", "抬头"]
    assert not parsed.must and not parsed.must_not and not parsed.phrases


def test_quotes_make_phrases():
    assert parse_user_query('"退货 政策"').phrases == [("退货", "政策")]
    assert parse_user_query("“退货 政策”").phrases == [("退货", "政策")]
    assert parse_user_query("「退货政策」").phrases == [("退货", "政策")]
    # A one-token phrase is simply a required term.
    assert parse_user_query('"退货"').must == [("退货",)]


def test_unbalanced_quote_is_literal():
    parsed = parse_user_query('"退货 政策')
    assert parsed.phrases == [] and parsed.should == ["退货", "政策"]


def test_operators():
    parsed = parse_user_query("退货 AND 政策 NOT 发票 OR 换货")
    assert parsed.must == [("退货",), ("政策",)]
    assert parsed.must_not == [("发票",)]
    assert parsed.should == ["换货"]
    parsed = parse_user_query('+退货 -发票 -"修改 抬头"')
    assert parsed.must == [("退货",)]
    assert parsed.must_not == [("发票",), ("修改", "抬头")]


def test_lower_case_operators_and_fields_are_literal():
    assert parse_user_query("sync or conflict").should == ["sync", "conflict"]
    assert parse_user_query("title:退货").should == ["titl", "退货"]
    parsed = parse_user_query("(退货*) ?~^ \\政策")
    assert parsed.should == ["退货", "政策"]


def test_dangling_operators_are_ignored():
    assert parse_user_query("AND").is_empty
    assert parse_user_query("NOT").is_empty
    assert parse_user_query("退货 AND").must == [("退货",)]


def test_long_input_is_truncated():
    parsed = parse_user_query("退货政策 " * 5000)
    assert len(parsed.text) <= MAX_QUERY_CHARS
    assert parsed.should == ["退货", "政策"]


def test_stop_words_only_is_empty(backend):
    assert parse_user_query("请问 怎么 的").is_empty
    result = backend.search(SearchRequest("请问 怎么 的"))
    assert (result.total, result.hits, result.tokens) == (0, [], [])

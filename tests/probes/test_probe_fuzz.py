"""Property-based fuzzing of the search parameters (hypothesis): any text, control
characters, query operators, field syntax, brackets, huge values, bad pages, types,
categories and languages. Never a 5xx; API refusals are JSON with an error message."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import Factories
from tests.probe_world import own_app

OPERATORS = [
    "AND",
    "OR",
    "NOT",
    "NEAR",
    "*",
    "?",
    "~",
    "^",
    "title:",
    "body:",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    '"',
    "'",
    "-",
    "+",
    ":",
    "\\",
    "%",
    "_",
    "退货",
    "运费",
    "shipping",
    "\x00",
    "\t",
    "\u200b",
    "😀",
]
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)
QUERY = st.one_of(
    TEXT,
    st.lists(st.sampled_from(OPERATORS) | TEXT, max_size=12).map(" ".join),
    st.lists(st.sampled_from(OPERATORS), max_size=30).map("".join),
    st.integers(min_value=201, max_value=5000).map(lambda n: "退" * n),
)
INTS = st.integers(min_value=-(10**12), max_value=10**12).map(str)
PAGE = st.one_of(
    INTS,
    st.sampled_from(["", "0", "1", "2", "100", "101", "1e3", "½", "٣", "1.5", " 1", "abc", "-0"]),
    TEXT,
)
CHOICE = st.one_of(
    st.none(),
    st.sampled_from(["article", "forum", "zh-CN", "en", "faq", "", "ARTICLE", "returns"]),
    TEXT,
)
PARAMS = st.fixed_dictionaries(
    {"q": QUERY},
    optional={
        "page": PAGE,
        "type": CHOICE,
        "category": CHOICE,
        "lang": CHOICE,
        "sort": CHOICE,
        "per_page": PAGE,
    },
)

_SETTINGS = dict(
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _clean(params: dict) -> dict:
    return {k: v for k, v in params.items() if v is not None}


@pytest.mark.slow
def test_fuzz_search_parameters(tmp_path, migrated_database):
    """One app for all three properties (a new app per example would take minutes)."""
    with own_app(tmp_path, migrated_database) as app:
        make = Factories()
        category = make.category(slug="returns", name="退货")
        make.article(title="退货运费说明", body="退货运费由卖家承担 shipping", category=category)
        http = app.test_client()
        counts = {"api": 0, "page": 0, "autocomplete": 0}

        @settings(max_examples=1500, **_SETTINGS)
        @given(PARAMS)
        def api(params):
            counts["api"] += 1
            response = http.get("/api/v1/search", query_string=_clean(params))
            assert response.status_code < 500, params
            assert response.is_json, params
            if response.status_code >= 400:
                assert response.get_json()["error"], params
            else:
                assert response.get_json()["total"] >= 0

        @settings(max_examples=1000, **_SETTINGS)
        @given(PARAMS)
        def page(params):
            counts["page"] += 1
            response = http.get("/search", query_string=_clean(params))
            assert response.status_code in (200, 400), params

        @settings(max_examples=500, **_SETTINGS)
        @given(st.one_of(QUERY, st.lists(QUERY, min_size=2, max_size=3)))
        def autocomplete(q):
            counts["autocomplete"] += 1
            response = http.get("/search/autocomplete", query_string={"q": q})
            assert response.status_code in (200, 400), q
            assert response.is_json and (
                "suggestions" in response.get_json() or response.get_json()["error"]
            )

        api()
        page()
        autocomplete()
        assert sum(counts.values()) >= 2500, counts

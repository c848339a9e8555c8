"""SearchMemo: the demo traffic runs each distinct search once while the index stays the
same, and logs that answer again for the repeats."""

from portal.insights.demo_searches import SearchMemo
from portal.searching.params import parse_search_params
from portal.searching.service import search_index


def ranked(results) -> tuple[int, list[tuple[str, int]]]:
    return results.total, [(hit.key, hit.rank) for hit in results.hits]


def test_a_repeated_search_reuses_the_engine_answer_until_the_index_changes(make):
    make.article("七天无理由退货政策", slug="return-policy", body="签收次日起七天内可申请退货。")
    make.article("退货运费", slug="return-shipping", body="质量问题退货由商家承担运费。")
    memo = SearchMemo()
    returns = parse_search_params({"q": "退货"})
    first = memo.results(returns)
    assert ranked(first) == ranked(search_index(returns)) and first.total == 2
    assert memo.results(parse_search_params({"q": "退货"})) is first
    assert memo.searched == 1
    # Another filter, page or wording is another search.
    memo.results(parse_search_params({"q": "退货", "type": "forum"}))
    memo.results(parse_search_params({"q": "退货", "page": "2"}))
    memo.results(parse_search_params({"q": "退货 运费"}))
    assert memo.searched == 4

    make.article("退货地址", slug="return-address", body="退货请寄到上海仓库。")  # indexed now
    assert memo.results(returns) is first  # what the engine said before the change...
    memo.forget()
    again = memo.results(returns)  # ...until the traffic says the index changed
    assert again.total == 3 and ranked(again) == ranked(search_index(returns))
    assert memo.searched == 5


def test_memo_answers_are_not_highlighted(make):
    """Nobody sees the hits of demo searches: no <mark> is computed for them."""
    make.article("七天无理由退货政策", slug="return-policy", body="签收次日起七天内可申请退货。")
    hit = SearchMemo().results(parse_search_params({"q": "退货"})).hits[0]
    assert "<mark>" not in hit.title_html + hit.snippet
    assert "<mark>" in search_index(parse_search_params({"q": "退货"})).hits[0].snippet

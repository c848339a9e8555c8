"""Snippets and titles (search/highlight.py): cut at word edges, and a lone Han character
is marked only where it stands as a word, never inside another word."""

from portal import ROOT
from search.analyzer import fold, is_cut_alone
from search.highlight import _LONE_CHECKS, _han_hits, snippet_html, title_html

WORDS = (
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron "
    "pi rho sigma tau upsilon refund phi chi psi omega and then a long tail of words "
    "that continues well past the window"
)


def test_a_snippet_between_sentences_starts_and_ends_on_whole_words():
    snippet = snippet_html(f"Some words before. {WORDS}", {"refund"})
    inner = snippet.strip("…")
    words = WORDS.split()
    assert inner.split()[0] in words and inner.split()[-1] in words
    assert "<mark>refund</mark>" in snippet


def test_a_chinese_snippet_starts_after_a_comma_rather_than_mid_word():
    body = (
        "青禾笔记支持多种同步方式包括局域网同步和云端同步，您可以在设置中选择，" * 3
        + "退款三天到账。"
    )
    snippet = snippet_html(body, {"退款"})
    assert snippet.startswith("…您可以") or snippet.startswith("…青禾")


def test_a_lone_character_is_not_marked_inside_another_word():
    assert title_html("货运费说明", {"货"}) == "货运费说明"
    assert title_html("退货与换货 货", {"货"}).endswith("<mark>货</mark>")
    assert "<mark>" not in snippet_html("我们的货运费用按重量计算。", {"货"})
    assert title_html("退货运费", {"退货"}) == "<mark>退货</mark>运费"


def test_a_lone_character_is_judged_on_a_window_as_on_the_whole_text():
    """Highlighting asks the segmenter about a short window around a lone character rather
    than segmenting the whole body: on every Han character of every shipped article, the
    window's answer is the whole text's."""
    from search.analyzer import _jieba

    checked = 0
    for path in sorted((ROOT / "kb_articles").rglob("*.md")):
        folded = fold(path.read_text(encoding="utf-8"))
        alone = {
            start
            for _w, start, end in _jieba().tokenize(folded, mode="default")
            if end - start == 1
        }
        for at, char in enumerate(folded):
            if "\u4e00" <= char <= "\u9fff":
                checked += 1
                assert is_cut_alone(folded, at) == (at in alone), (
                    path.name,
                    folded[at - 8 : at + 9],
                )
    assert checked > 10_000


def test_a_common_lone_character_is_checked_a_bounded_number_of_times():
    """不 stands alone hundreds of times in a long body: the snippet still marks it where it
    stands, and the check stops after _LONE_CHECKS occurrences."""
    body = "这不对。" * 500
    snippet = snippet_html(body, {"不"})
    assert "<mark>不</mark>" in snippet
    assert len(_han_hits(fold(body), {"不"})) <= _LONE_CHECKS

"""markdown_to_text(): plain texts skip Python-Markdown, with the same text as through it."""

import html
import random

import markdown
import nh3
import pytest

from portal.markup import _plain_text, _rendered_text, markdown_problem, markdown_to_text


def through_python_markdown(source: str) -> str:
    """markdown_to_text() as it was before the plain-text path: a new converter per text."""
    if markdown_problem(source) is not None:
        return " ".join(source.split())
    rendered = markdown.markdown(source, extensions=["tables", "fenced_code"])
    return " ".join(html.unescape(nh3.clean(rendered, tags=set())).split())


# Line starts that are (or look like) block markers, and words that are (or look like) markup:
# the plain ones mostly, the others now and then.
PLAIN_PREFIXES = [
    *[""] * 12,
    *("# ", "## ", "###### ", "####### ", "#", "##  ", "#\u3000"),
    *("1. ", "2.  ", "10. ", "1) ", "1.", "１. ", "12345678901. ", "1. 2. ", "1. - "),
    *("- ", "+ ", "-", "+", "- - ", "- 1. ", "-  "),
]
OTHER_PREFIXES = ["* ", " ", "   ", "    ", "\t", "> ", "=", "\u3000"]
PLAIN_WORDS = [
    *("退货政策", "客服工作时间", "青禾笔记", "How to reset", "the password", "帳號", "ΣΑΣ"),
    *("1.5 GB", "a-b", "+86", "x = y", "9:00", "（注意）", "「我的」", "100%", "$5", "é"),
    *("e.g.", "'q'", '"q"', "@user", "^", "/path;", "?", "...", "，", "12", "３"),
    *(" ", "  ", "\u3000", "\u2028", "\xa0", "😀", "        ", "= ", " - ", "2. "),
]
OTHER_WORDS = ["#tag", " #", "*", "**b**", "_i_", "`c`", "<b>", "&amp;", "[x]", "|", "~", "\\"]
WHOLE_LINES = ["", "", "", "---", "===", "- - -", "  ", "-", "=", "--- x", "```", "[TOC]"]


def generated_text(rng: random.Random) -> str:
    """Mostly texts of headings, lists and paragraphs; a line of anything now and then."""
    hostile = rng.random() < 0.02
    lines = []
    for _ in range(rng.randint(1, 12)):
        if rng.random() < (0.2 if hostile else 0.5):
            lines.append(rng.choice(WHOLE_LINES if hostile else WHOLE_LINES[:3]))
            continue
        hostile = hostile or rng.random() < 0.03
        words = rng.choices(PLAIN_WORDS + OTHER_WORDS * hostile, k=rng.randint(0, 4))
        prefix = rng.choice(PLAIN_PREFIXES + OTHER_PREFIXES * hostile)
        lines.append(prefix + "".join(words) + rng.choice(["", "", " ", "  "]))
    return "\n".join(lines) + rng.choice(["", "\n", "\n\n"])


def test_generated_texts_get_the_same_text_either_way():
    rng = random.Random(20261203)
    taken = 0
    for _ in range(500):
        source = generated_text(rng)
        expected = through_python_markdown(source)
        plain = _plain_text(source)
        if plain is not None:
            taken += 1
            assert plain == expected, source
        assert _rendered_text(source) == expected, source  # one converter, reset per text
        assert markdown_to_text(source) == expected, source
    assert 150 < taken < 450  # both paths were exercised


@pytest.mark.parametrize(
    "source, text",
    [
        (
            "## 注意事项\n\n1. 完成后。\n2. 重试。\n部分情况下。",
            "注意事项 完成后。 重试。 部分情况下。",
        ),
        ("说明：\n1. 不是列表", "说明： 1. 不是列表"),  # a list cannot interrupt a paragraph
        ("1. 列表\n说明\n- 也是项目", "列表 说明 也是项目"),
        ("段落\n## 标题\n1. 标题后的列表", "段落 标题 标题后的列表"),
        ("####### 七个井号", "# 七个井号"),
        ("## 标题 ##\n##   #", "标题"),
        ("", ""),
    ],
)
def test_block_markers_come_off_as_python_markdown_takes_them(source, text):
    assert through_python_markdown(source) == text
    assert markdown_to_text(source) == text


@pytest.mark.parametrize(
    "source",
    [
        "**粗体**",
        "`code`",
        "a | b\n--- | ---\nc | d",
        "    缩进",
        "标题\n---",
        "> 引用",
        "1. - 子项",
    ],
)
def test_texts_with_other_markup_go_through_python_markdown(source):
    assert _plain_text(source) is None
    assert markdown_to_text(source) == through_python_markdown(source)

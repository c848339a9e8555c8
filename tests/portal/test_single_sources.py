"""Facts defined once: the page bound, the query length, the Han character ranges and the
naive-UTC conversion each have one home the rest of the code imports."""

import re

import pytest

from search.han import HAN_RUN, is_han
from tests import ROOT


def _sources() -> dict[str, str]:
    files = [*(ROOT / "portal").rglob("*.py"), *(ROOT / "search").rglob("*.py")]
    return {str(path.relative_to(ROOT)): path.read_text(encoding="utf-8") for path in files}


@pytest.mark.parametrize(
    ("pattern", "home"),
    [
        (r"^MAX_PAGE\s*=", {"search/paging.py"}),
        (r"^MAX_QUERY_CHARS\s*=", {"search/query.py"}),
        (r"\\u9fff|\\u4e00|0x9FFF|0x4E00", {"search/han.py"}),
        (r"\.replace\(tzinfo=None\)", {"search/timestamps.py"}),
    ],
)
def test_each_fact_has_one_home(pattern, home):
    found = {name for name, text in _sources().items() if re.search(pattern, text, re.M | re.I)}
    assert found <= home and found


def test_han_characters():
    assert [is_han(ch) for ch in "青㐀豈a。"] == [True, True, True, False, False]
    assert not is_han("青禾") and HAN_RUN.findall("青禾note 4.10笔记") == ["青禾", "笔记"]

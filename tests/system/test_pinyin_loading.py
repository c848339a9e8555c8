"""pypinyin with its phrase dictionary loaded compactly (portal.searching.pinyin) reads text
exactly as pypinyin loaded its own way: the same phrases, the same pinyin."""

import json

import pytest

from tests.process_support import run_python

# The pinyin of every phrase of pypinyin's dictionary, of all of them run together (the
# segmenter then picks among overlapping phrases) and of a few sentences; in "portal"
# mode also how many distinct syllable lists the phrase dictionary holds.
SCRIPT = """
import json, sys
from importlib.resources import files

if sys.argv[1] == "portal":
    from portal.searching.pinyin import lazy_pinyin
else:
    from pypinyin import lazy_pinyin
lazy_pinyin("退货")
from pypinyin.constants import PHRASES_DICT

shipped = json.loads(files("pypinyin").joinpath("phrases_dict.json").read_text("utf-8"))
texts = [*shipped, "".join(shipped), "银行行长在重庆长大了", "Qinghe 笔记 3.2 版还了"]
print(json.dumps({
    "same_phrases": PHRASES_DICT == shipped,
    "syllable_lists": len({id(item) for value in PHRASES_DICT.values() for item in value}),
    "pinyin": [lazy_pinyin(text) for text in texts],
}))
"""


def _run(mode: str) -> dict:
    completed = run_python(SCRIPT, mode, drop_env_prefix="PYPINYIN", timeout=300)
    return json.loads(completed.stdout)


@pytest.mark.slow
def test_the_compact_phrase_dictionary_reads_text_as_pypinyin_does():
    compact, plain = _run("portal"), _run("pypinyin")
    assert compact["same_phrases"] and plain["same_phrases"]
    assert compact["syllable_lists"] < 5_000 < plain["syllable_lists"]
    assert compact["pinyin"] == plain["pinyin"]
    assert compact["pinyin"][-2][:4] == ["yin", "hang", "hang", "zhang"]

"""The relevance benchmark: hand-checked metrics, both baselines, a valid shipped query file,
the public set's sampling, and end-to-end runs."""

import math
import subprocess
from pathlib import Path

import pytest

from bench import public_set, relevance
from bench._metrics import (
    BM25,
    JiebaBM25,
    evaluate,
    jieba_tokens,
    ndcg_at,
    recall_at,
    reciprocal_rank,
)
from bench._relevance_report import KINDS, OWN_KINDS, LabelledQuery, LabelledSet, render_report
from bench.public_set import Pair, normalise, prepare, sample
from bench.relevance import DEFAULT_QUERIES, load_queries, main
from portal.kb.markdown_files import (
    markdown_files,
    parse_markdown_file,
    parse_plain_markdown,
    path_slug,
)

ROOT = Path(__file__).resolve().parents[2]


def test_reciprocal_rank_is_one_over_the_first_relevant_rank_within_ten():
    assert reciprocal_rank(["a", "b", "c"], {"c", "z"}) == pytest.approx(1 / 3)
    assert reciprocal_rank(["a", "b"], {"z"}) == 0.0
    eleventh = [f"x{i}" for i in range(10)] + ["hit"]
    assert reciprocal_rank(eleventh, {"hit"}) == 0.0


def test_recall_at_ten_counts_the_share_of_relevant_documents_found():
    assert recall_at(["a", "b", "c"], {"b", "z"}) == 0.5
    assert recall_at(["z", "b"], {"b", "z"}) == 1.0
    assert recall_at([f"x{i}" for i in range(10)] + ["b"], {"b"}) == 0.0


def test_ndcg_at_ten_with_two_relevant_documents():
    # Relevant at ranks 1 and 3: DCG = 1 + 1/log2(4) = 1.5; ideal = 1 + 1/log2(3).
    assert ndcg_at(["a", "x", "b"], {"a", "b"}) == pytest.approx(1.5 / (1 + 1 / math.log2(3)))
    assert ndcg_at(["b", "a"], {"a", "b"}) == pytest.approx(1.0)
    # Only the second relevant one, at rank 2: (1/log2(3)) / (1 + 1/log2(3)).
    assert ndcg_at(["x", "b"], {"a", "b"}) == pytest.approx(0.6309 / 1.6309, abs=1e-4)


def test_evaluate_averages_over_queries():
    scores = evaluate([["a", "b"], ["x", "y"]], [{"b"}, {"y", "z"}])
    assert scores.queries == 2
    assert scores.mrr == pytest.approx((1 / 2 + 1 / 2) / 2)
    assert scores.recall == pytest.approx((1 + 0.5) / 2)
    with pytest.raises(ValueError):
        evaluate([["a"]], [{"a"}, {"b"}])


def test_baseline_is_bm25_over_single_characters_without_folding():
    bm25 = BM25({"x": "apple pie", "y": "banana"})
    # idf = ln(1 + (2 - 1 + 0.5) / 1.5) = ln 2; |x| = 2, average 1.5.
    expected = math.log(2) * 2.2 / (1 + 1.2 * (0.25 + 0.75 * 2 / 1.5))
    assert bm25.score("x", {"apple"}) == pytest.approx(expected)
    chars = BM25({"returns": "退货政策", "invoice": "电子发票"})
    assert chars.rank("退或") == ["returns"]  # one shared character is enough
    assert chars.rank("發票") == ["invoice"]  # 票 matches, 發 is not folded to 发
    assert chars.rank("發") == []


def test_jieba_baseline_ranks_the_document_sharing_the_words_first():
    assert jieba_tokens("怎么申请退货？ iPhone") == ["怎么", "申请", "退货", "iphone"]
    words = JiebaBM25(
        {
            "refund": "退款多久能到账",
            "returns": "怎么申请退货",
            "invoice": "怎么开发票",
            "english": "iPhone warranty",
        }
    )
    assert words.rank("退货怎么申请")[0] == "returns"
    assert words.rank("IPHONE") == ["english"]  # lower-cased on both sides
    assert words.rank("退") == []  # a word, not a character: 退 alone is not in the index
    assert words.rank("，。") == []


def test_shipped_query_file_is_valid_and_labels_exist():
    queries = load_queries(DEFAULT_QUERIES)
    assert len(queries) >= 150
    slugs = {
        parse_markdown_file(p.read_text(encoding="utf-8"))[0]["slug"]
        for p in markdown_files(ROOT / "kb_articles")
    }
    assert {slug for q in queries for slug in q.relevant} <= slugs
    assert {q.kind for q in queries} == set(OWN_KINDS)
    assert len({q.text for q in queries}) == len(queries)
    assert all(1 <= len(q.relevant) <= 3 for q in queries)


def test_query_file_with_a_bad_entry_is_refused(tmp_path):
    bad = tmp_path / "q.yaml"
    bad.write_text("- {q: 退货, relevant: [return-policy-7-days], kind: slang}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="entry 1"):
        load_queries(bad)


CORPUS = {
    "returns/退货政策.md": "# 七天无理由退货\n\n签收后七天内可以申请退货，无理由退货的寄回运费由买家承担。\n",
    "invoices/电子发票.md": "# 如何申请电子发票\n\n在订单详情页点击「申请开票」，发票会发送到您的邮箱。\n",
    "notes/sync.md": "# Notes are not syncing\n\nCheck the sync status indicator and your network.\n",
    "install-linux.md": "先下载 deb 或 rpm 安装包，再用包管理器在 Linux 上安装青禾笔记。\n",
}
QUERIES = """
- {q: 无理由退货要运费吗, relevant: [returns-tui-huo-zheng-ce], kind: colloquial}
- {q: 申请发票, relevant: [invoices-dian-zi-fa-piao], kind: keyword}
- {q: notes not syncing, relevant: [notes-sync], kind: english}
- {q: Linux 安装, relevant: [install-linux], kind: mixed}
"""


def test_end_to_end_run_on_plain_markdown_finds_every_document(tmp_path):
    """Plain Markdown corpus through the real importer and index: MRR 1.0, report written."""
    corpus = tmp_path / "corpus"
    for name, text in CORPUS.items():
        (corpus / name).parent.mkdir(parents=True, exist_ok=True)
        (corpus / name).write_text(text, encoding="utf-8")
    query_file = tmp_path / "queries.yaml"
    query_file.write_text(QUERIES, encoding="utf-8")
    out = tmp_path / "report.md"
    main(
        [
            "--set",
            "own",
            "--corpus",
            str(corpus),
            "--queries",
            str(query_file),
            "--backend",
            "whoosh",
            "--out",
            str(out),
        ]
    )
    report = out.read_text(encoding="utf-8")
    assert "| all | whoosh | 1.000 | 1.000 | 1.000 | 4 |" in report
    assert "| all | whoosh ÷ best baseline |" in report
    assert "| mixed | bm25-chars |" in report
    assert "| mixed | bm25-jieba |" in report
    assert "### 10 worst queries — whoosh" in report
    assert "Public set" not in report


# Paraphrase pairs in the CSTS layout: question, question, 1 (same intent) or 0.
PAIRS = [
    ("怎么在图片上添加文字", "怎么在照片上加字", True),
    ("手机密码忘了怎么办", "手机密码忘记了怎么解锁", True),
    ("手机密码忘记了怎么解锁", "手机忘记密码怎么解锁", True),  # a paraphrase of a paraphrase
    ("星星为什么会眨眼", "星星为什么眨眼睛？", True),
    ("星星为什么会眨眼", "星星为什么会眨眼？", True),  # equal once punctuation is dropped
    ("哪里可以下载电脑主题", "电脑主题在哪下载", True),
    ("如何学好英语", "怎样才能学好数学", False),
    ("北京今天天气怎么样", "上海今天天气怎么样", False),
    ("微信怎么发红包", "微信红包怎么发", True),
    ("苹果手机怎么截图", "安卓手机怎么截图", False),
]


def _pairs():
    return [Pair(first, second, same) for first, second, same in PAIRS]


def test_sampling_is_deterministic_and_every_query_has_one_distinct_document():
    first = sample(_pairs(), documents=10, queries=3, seed=7, short_max=9)
    assert first == sample(_pairs(), documents=10, queries=3, seed=7, short_max=9)
    assert len(first.queries) == 3
    documents = {normalise(text) for text in first.documents}
    assert len(documents) == len(first.documents)  # no duplicate documents
    targets = [document for _text, document, _kind in first.queries]
    assert len(set(targets)) == len(targets)
    paraphrases = {frozenset((normalise(a), normalise(b))) for a, b, same in PAIRS if same}
    for text, document, kind in first.queries:
        query = normalise(text)
        assert query not in documents  # never the document's own text, nor any other's
        assert frozenset((query, normalise(first.documents[document]))) in paraphrases
        # no other document is a known paraphrase: the one label is the whole truth
        others = documents - {normalise(first.documents[document])}
        assert not any(frozenset((query, other)) in paraphrases for other in others)
        assert kind == ("short" if len(query) <= 9 else "long")


def test_sampling_drops_pairs_that_are_equal_after_normalising():
    result = sample([Pair("星星为什么会眨眼", "星星为什么会眨眼？", True)], documents=5, queries=5)
    assert result.queries == []
    assert result.documents == ["星星为什么会眨眼"]


def _write_source(tmp_path: Path) -> Path:
    """A CSTS checkout holding PAIRS as LCQMC's two files."""
    source = tmp_path / "CSTS"
    (source / "LCQMC").mkdir(parents=True)
    lines = [f"{a}\t{b}\t{int(same)}" for a, b, same in PAIRS]
    (source / "LCQMC" / "dev.txt").write_text("\n".join(lines[:5]) + "\n", encoding="utf-8")
    (source / "LCQMC" / "test.txt").write_text("\n".join(lines[5:]) + "\n", encoding="utf-8")
    return source


def test_written_sample_gives_importer_slugs_and_a_valid_query_file(tmp_path):
    source = _write_source(tmp_path)
    corpus, query_file = prepare("lcqmc", source, tmp_path / "set", documents=8, queries=3)
    queries = load_queries(query_file)
    assert len(queries) == 3 and {q.kind for q in queries} <= set(KINDS)
    files = markdown_files(corpus)
    assert len(files) == 8
    slugs = set()
    for path in files:
        meta, body = parse_plain_markdown(path.relative_to(corpus), path.read_text("utf-8"))
        assert meta["slug"] == path_slug(path.relative_to(corpus)) == path.stem
        assert body.strip() == meta["title"]
        slugs.add(meta["slug"])
    assert {slug for q in queries for slug in q.relevant} <= slugs
    # A second call reuses the cached set, even without the source.
    assert prepare("lcqmc", tmp_path / "gone", tmp_path / "set", documents=8, queries=3) == (
        corpus,
        query_file,
    )
    with pytest.raises(public_set.PublicSetUnavailable, match="git clone"):
        prepare("lcqmc", tmp_path / "gone", tmp_path / "other", documents=8, queries=3)


def test_source_is_read_from_a_bare_git_directory_too(tmp_path):
    work = tmp_path / "work"
    (work / "OPPO-xiaobu").mkdir(parents=True)
    (work / "OPPO-xiaobu" / "dev.txt").write_text("你好\t您好\t1\n", encoding="utf-8")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q", str(work)], check=True)
    subprocess.run([*git, "-C", str(work), "add", "."], check=True)
    subprocess.run([*git, "-C", str(work), "commit", "-qm", "data"], check=True)
    pairs, blobs = public_set.read_source("oppo-xiaobu", work / ".git")
    assert pairs == [Pair("你好", "您好", True)]
    assert blobs == [public_set.blob_id("你好\t您好\t1\n".encode())]


def test_public_set_end_to_end_reports_both_baselines_and_titles(tmp_path):
    """--set public samples from a CSTS copy (as many as the tiny data holds) and reports it."""
    out = tmp_path / "report.md"
    main(
        [
            "--set",
            "public",
            "--public-source",
            str(_write_source(tmp_path)),
            "--public-name",
            "lcqmc",
            "--public-dir",
            str(tmp_path / "set"),
            "--backend",
            "whoosh",
            "--out",
            str(out),
        ]
    )
    report = out.read_text(encoding="utf-8")
    queries = load_queries(tmp_path / "set" / public_set.QUERY_FILE)
    documents = len(markdown_files(tmp_path / "set"))
    assert f"## Public set lcqmc — {len(queries)} labelled queries over {documents} FAQ" in report
    assert "| all | bm25-chars |" in report and "| all | bm25-jieba |" in report
    assert "| all | whoosh ÷ best baseline |" in report
    assert "- whoosh: import and index" in report
    assert "«" in report  # the worst-query table names documents by their question
    assert "Own set" not in report


@pytest.mark.slow
@pytest.mark.slow
def test_a_backend_that_fails_is_reported_and_the_baselines_still_run(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "q00001.md").write_text("# 微信怎么发红包\n\n微信怎么发红包\n", encoding="utf-8")
    queries = [LabelledQuery("微信红包怎么发", ("q00001",), "short")]

    def broken():
        raise RuntimeError("engine missing")

    monkeypatch.setattr(relevance, "get_backend", broken)
    evaluation = relevance.run_evaluation(corpus, queries, ["whoosh"], progress=False)
    assert evaluation.failed == {"whoosh": "RuntimeError: engine missing"}
    assert set(evaluation.runs) == {"bm25-chars", "bm25-jieba"}
    assert evaluation.runs["bm25-jieba"] == [["q00001"]]
    assert "- whoosh: failed — RuntimeError: engine missing" in render_report(
        [LabelledSet("Tiny", queries, evaluation)]
    )


TRANSLATED = {
    "_categories.yaml": "- {slug: returns, name: 退款}\n- {slug: invoices, name: 发票}\n",
    "refund.md": "---\nslug: refund\ntitle: 退款多久到账\ncategory: returns\nlanguage: zh-CN\n"
    "---\n\n退款审核通过后，原路退回一般需要三到七个工作日。\n",
    "refund-en.md": "---\nslug: refund-en\ntitle: How long does a refund take\ncategory: returns\n"
    "language: en\ntranslation_of: refund\n---\n\nAfter approval a refund takes three to "
    "seven working days to reach the original payment method.\n",
    "invoice.md": "---\nslug: invoice\ntitle: 申请电子发票\ncategory: invoices\nlanguage: zh-CN\n"
    "---\n\n在订单详情页申请开票，退款后发票作废。\n",
}


def _translated_corpus(tmp_path: Path, queries: str) -> tuple[Path, Path]:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in TRANSLATED.items():
        (corpus / name).write_text(text, encoding="utf-8")
    query_file = tmp_path / "queries.yaml"
    query_file.write_text(queries, encoding="utf-8")
    return corpus, query_file


def test_a_translation_answers_for_its_original_and_a_group_takes_one_place(tmp_path):
    """The English query finds the English translation of the labelled Chinese article:
    a hit at rank 1 (not a miss); the Chinese query finds both languages of the refund
    article, which take one place, so the invoice article is second, not third."""
    corpus, query_file = _translated_corpus(
        tmp_path,
        "- {q: refund working days, relevant: [refund], kind: english}\n"
        "- {q: 退款, relevant: [invoice], kind: keyword}\n",
    )
    evaluation = relevance.run_evaluation(
        corpus, load_queries(query_file), ["tantivy"], progress=False
    )
    english, chinese = evaluation.runs["tantivy"]
    assert english[0] == "refund" and "refund-en" not in english
    assert chinese == ["refund", "invoice"]
    assert evaluation.runs["bm25-chars"][1] == ["refund", "invoice"]


def test_a_label_naming_a_translation_is_refused(tmp_path):
    corpus, query_file = _translated_corpus(
        tmp_path, "- {q: refund, relevant: [refund-en], kind: english}\n"
    )
    evaluation = relevance.run_evaluation(
        corpus, load_queries(query_file), ["tantivy"], progress=False
    )
    assert "label the original, not a translation: refund-en" in evaluation.failed["tantivy"]

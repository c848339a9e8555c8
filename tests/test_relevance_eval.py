"""The relevance benchmark: hand-checked metrics, a valid shipped query file, an end-to-end run."""

import math
from pathlib import Path

import pytest

from bench._metrics import BM25, evaluate, ndcg_at, recall_at, reciprocal_rank
from bench.relevance import DEFAULT_QUERIES, KINDS, load_queries, main
from portal.kb.importer import markdown_files, parse_markdown_file

ROOT = Path(__file__).resolve().parent.parent


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


def test_shipped_query_file_is_valid_and_labels_exist():
    queries = load_queries(DEFAULT_QUERIES)
    assert len(queries) >= 150
    slugs = {parse_markdown_file(p.read_text(encoding="utf-8"))[0]["slug"]
             for p in markdown_files(ROOT / "kb_articles")}
    assert {slug for q in queries for slug in q.relevant} <= slugs
    assert {q.kind for q in queries} == set(KINDS)
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
    main(["--corpus", str(corpus), "--queries", str(query_file), "--backend", "whoosh",
          "--out", str(out)])
    report = out.read_text(encoding="utf-8")
    assert "| all | whoosh | 1.000 | 1.000 | 1.000 | 4 |" in report
    assert "| all | whoosh ÷ baseline |" in report
    assert "| mixed | baseline |" in report
    assert "## 10 worst queries — whoosh" in report

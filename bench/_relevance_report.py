"""bench/relevance.py's report: the labelled queries and evaluations it reports on, the
baselines it names, and the Markdown it prints (the scores per set and kind, each backend's
worst queries)."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from bench import public_set
from bench._metrics import (
    BM25,
    JiebaBM25,
    evaluate,
    first_relevant_rank,
    ndcg_at,
    reciprocal_rank,
)

OWN_KINDS = ("colloquial", "keyword", "traditional", "typo", "english", "mixed")
KINDS = (*OWN_KINDS, *public_set.KINDS)
# How a plain index ranks the same articles, by report name (bench/_metrics.py).
BASELINES = {"bm25-chars": BM25, "bm25-jieba": JiebaBM25}
BASELINE_NOTE = (
    "Baselines: **bm25-chars** is BM25 (k1=1.2, b=0.75) over single CJK characters and "
    "lower-cased ASCII words, no segmentation, script folding, stemming or synonyms; "
    "**bm25-jieba** is BM25 from the bm25s package as shipped (Lucene variant, k1=1.5, "
    "b=0.75) over lower-cased jieba words (rjieba), spaces and punctuation dropped, no stop "
    'words. "÷ best baseline" divides by the better of the two, per metric and kind.'
)
WORST = 10


@dataclass(frozen=True)
class LabelledQuery:
    text: str
    relevant: tuple[str, ...]
    kind: str


@dataclass
class Evaluation:
    """One top-10 slug list per query for every system that ran, and what else happened."""

    runs: dict[str, list[list[str]]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)  # backend -> error
    timings: dict[str, str] = field(default_factory=dict)  # system -> what took how long
    titles: dict[str, str] = field(default_factory=dict)  # slug -> article title


@dataclass
class LabelledSet:
    """A labelled set as reported: a heading, its queries and the evaluation."""

    heading: str
    queries: list[LabelledQuery]
    evaluation: Evaluation
    show_titles: bool = False  # slugs such as q01234 say nothing: print the title too


def _row(cells) -> str:
    return "| " + " | ".join(str(cell).replace("|", "\\|") for cell in cells) + " |"


def _ratio(ours: float, base: float) -> str:
    return f"×{ours / base:.2f}" if base else "—"


def scores_table(runs: dict[str, list[list[str]]], queries: Sequence[LabelledQuery]) -> list[str]:
    """Markdown rows: every system overall and per kind, plus each backend ÷ best baseline."""
    lines = [
        _row(["kind", "system", "MRR@10", "Recall@10", "nDCG@10", "queries"]),
        _row(["---"] * 6),
    ]
    for kind in ("all", *KINDS):
        picked = [i for i, q in enumerate(queries) if kind in ("all", q.kind)]
        if not picked:
            continue
        labels = [queries[i].relevant for i in picked]
        scores = {
            name: evaluate([ranked[i] for i in picked], labels) for name, ranked in runs.items()
        }
        for name, s in scores.items():
            lines.append(
                _row([kind, name, f"{s.mrr:.3f}", f"{s.recall:.3f}", f"{s.ndcg:.3f}", s.queries])
            )
        bases = [scores[name] for name in BASELINES if name in scores]
        if not bases:
            continue
        best = [max(getattr(s, metric) for s in bases) for metric in ("mrr", "recall", "ndcg")]
        for name in (n for n in scores if n not in BASELINES):
            ours = scores[name]
            lines.append(
                _row(
                    [
                        kind,
                        f"{name} ÷ best baseline",
                        *(
                            _ratio(value, base)
                            for value, base in zip(
                                (ours.mrr, ours.recall, ours.ndcg), best, strict=True
                            )
                        ),
                        "",
                    ]
                )
            )
    return lines


def worst_queries(
    evaluation: Evaluation,
    queries: Sequence[LabelledQuery],
    name: str,
    count: int = WORST,
    show_titles: bool = False,
) -> list[str]:
    """Markdown rows for the ``count`` queries ``name`` ranks worst (file order on ties)."""
    runs = evaluation.runs
    ranked = runs[name]
    baselines = [base for base in BASELINES if base in runs]

    def badness(i):
        return (
            reciprocal_rank(ranked[i], queries[i].relevant),
            ndcg_at(ranked[i], queries[i].relevant),
        )

    def label(slug):
        title = evaluation.titles.get(slug)
        return f"{slug} «{title}»" if show_titles and title else slug

    lines = [
        _row(
            [
                "query",
                "kind",
                "expected",
                f"rank ({name})",
                "our top hit",
                *(f"rank ({base})" for base in baselines),
            ]
        ),
        _row(["---"] * (5 + len(baselines))),
    ]
    for i in sorted(range(len(queries)), key=badness)[:count]:
        query = queries[i]
        ours = first_relevant_rank(ranked[i], query.relevant)
        lines.append(
            _row(
                [
                    query.text,
                    query.kind,
                    ", ".join(map(label, query.relevant)),
                    ours or "not in top 10",
                    label(ranked[i][0]) if ranked[i] else "(no hits)",
                    *(
                        first_relevant_rank(runs[base][i], query.relevant) or "not in top 10"
                        for base in baselines
                    ),
                ]
            )
        )
    return lines


def render_report(sets: Sequence[LabelledSet]) -> str:
    """The whole Markdown report: per set, the scores table, the timings, then the worst
    queries of each backend."""
    lines = [f"# Search relevance — {date.today().isoformat()}", "", BASELINE_NOTE]
    for labelled in sets:
        evaluation = labelled.evaluation
        lines += [
            "",
            f"## {labelled.heading}",
            "",
            *scores_table(evaluation.runs, labelled.queries),
            "",
        ]
        lines += [f"- {name}: {timing}" for name, timing in evaluation.timings.items()]
        lines += [f"- {name}: failed — {error}" for name, error in evaluation.failed.items()]
        for name in (n for n in evaluation.runs if n not in BASELINES):
            lines += [
                "",
                f"### {WORST} worst queries — {name}",
                "",
                *worst_queries(
                    evaluation, labelled.queries, name, show_titles=labelled.show_titles
                ),
            ]
    return "\n".join(lines) + "\n"

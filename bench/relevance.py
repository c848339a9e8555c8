"""Offline relevance evaluation: our search against a plain BM25 baseline on labelled queries.

Run from the repository root:
    .venv/bin/python -m bench.relevance [--corpus kb_articles] [--queries FILE]
        [--backend whoosh] [--backend sqlite] [--backend postgres]
        [--out bench/results-relevance.md]

For each backend it builds a throw-away data directory, migrates a fresh SQLite database,
imports the corpus through the real importer (Markdown without front matter is accepted),
builds the index and runs every labelled query (articles only, top 10). In the same run it
ranks the same articles with BM25 over single characters (bench/_metrics.py), then prints
MRR@10, Recall@10 and nDCG@10 overall and per query kind, the ratio to the baseline and the
queries our search handles worst. The postgres backend indexes into a throwaway database
(bench/_postgres.py); it is skipped with a printed line when no PostgreSQL server answers."""

import argparse
import logging
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml
from flask_migrate import upgrade
from sqlalchemy import select
from tqdm import tqdm

from bench._metrics import BM25, CUTOFF, evaluate, first_relevant_rank, ndcg_at, reciprocal_rank
from bench._postgres import engine_configs
from portal import ROOT, create_app
from portal.extensions import db
from portal.indexing.backend import BACKENDS, close_backend, get_backend
from portal.indexing.outbox import reindex_all
from portal.kb.importer import import_directory
from portal.models import Article
from search.backend import SearchRequest

logger = logging.getLogger(__name__)
KINDS = ("colloquial", "keyword", "traditional", "typo", "english", "mixed")
DEFAULT_QUERIES = Path(__file__).with_name("relevance_queries.yaml")
BASELINE = "baseline"
WORST = 10


@dataclass(frozen=True)
class LabelledQuery:
    text: str
    relevant: tuple[str, ...]
    kind: str


def load_queries(path: Path) -> list[LabelledQuery]:
    """Read and check a labelled query file; raises ValueError naming the bad entry."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    queries = []
    for number, entry in enumerate(entries, 1):
        relevant = entry.get("relevant") if isinstance(entry, dict) else None
        if (not isinstance(relevant, list) or not 1 <= len(relevant) <= 3
                or not str(entry.get("q") or "").strip() or entry.get("kind") not in KINDS):
            raise ValueError(f"{path}: entry {number} needs q, 1-3 relevant slugs and a kind "
                             f"in {KINDS}: {entry!r}")
        queries.append(LabelledQuery(str(entry["q"]), tuple(map(str, relevant)), entry["kind"]))
    return queries


def _app_config(data_dir: Path, backend: str, extra: dict | None = None) -> dict:
    return {"DATA_DIR": str(data_dir), "SECRET_KEY": "relevance-bench", "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{data_dir / 'portal.db'}",
            "SEARCH_INDEX_DIR": str(data_dir / "index"), "SEARCH_BACKEND": backend,
            **(extra or {})}


def _load_corpus(corpus: Path, queries: Sequence[LabelledQuery]) -> dict[int, str]:
    """Import ``corpus``, index it and return article id -> slug; every label must exist."""
    report = import_directory(corpus, allow_plain=True)
    for error in report.errors:
        logger.warning("not imported: %s", error)
    reindex_all()
    slugs = dict(db.session.execute(select(Article.id, Article.slug)
                                    .where(Article.status == "published")).all())
    missing = {s for query in queries for s in query.relevant} - set(slugs.values())
    if missing:
        raise ValueError(f"labelled slugs missing from {corpus}: {', '.join(sorted(missing))}")
    return slugs


def baseline_documents() -> dict[str, str]:
    """Slug -> title, summary and Markdown body of every published article."""
    articles = db.session.scalars(select(Article).where(Article.status == "published"))
    return {a.slug: f"{a.title}\n{a.summary}\n{a.body_md}" for a in articles}


def _search(queries: Sequence[LabelledQuery], slugs: dict[int, str], name: str,
            progress: bool) -> list[list[str]]:
    backend, ranked = get_backend(), []
    for query in tqdm(queries, desc=name, unit="query", disable=not progress):
        results = backend.search(SearchRequest(text=query.text, doc_type="article",
                                               per_page=CUTOFF))
        ranked.append([hit.slug or slugs[hit.doc_id] for hit in results.hits])
    return ranked


def run_evaluation(corpus: Path, queries: Sequence[LabelledQuery], backends: Sequence[str],
                   progress: bool = True) -> dict[str, list[list[str]]]:
    """System name -> one top-10 slug list per query, for every backend and the baseline."""
    runs: dict[str, list[list[str]]] = {}
    with ExitStack() as stack:
        configs = engine_configs(list(backends), stack)
        for name, extra in configs.items():
            _evaluate_backend(name, extra, corpus, queries, progress, runs)
    return runs


def _evaluate_backend(name: str, extra: dict, corpus: Path, queries: Sequence[LabelledQuery],
                      progress: bool, runs: dict[str, list[list[str]]]) -> None:
    """Add ``name``'s ranked slugs (and, the first time, the baseline's) to ``runs``."""
    with tempfile.TemporaryDirectory(prefix=f"relevance-{name}-") as tmp:
        app = create_app(_app_config(Path(tmp), name, extra))
        with app.app_context():
            upgrade()
            slugs = _load_corpus(corpus, queries)
            runs[name] = _search(queries, slugs, name, progress)
            if BASELINE not in runs:
                bm25 = BM25(baseline_documents())
                runs[BASELINE] = [bm25.rank(q.text) for q in
                                  tqdm(queries, desc=BASELINE, unit="query",
                                       disable=not progress)]
            db.session.remove()
            close_backend(app)
            db.engine.dispose()


def _row(cells) -> str:
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def _ratio(ours: float, base: float) -> str:
    return f"×{ours / base:.2f}" if base else "—"


def scores_table(runs: dict[str, list[list[str]]], queries: Sequence[LabelledQuery]) -> list[str]:
    """Markdown rows: every system overall and per kind, plus each backend ÷ baseline."""
    lines = [_row(["kind", "system", "MRR@10", "Recall@10", "nDCG@10", "queries"]),
             _row(["---"] * 6)]
    for kind in ("all", *KINDS):
        picked = [i for i, q in enumerate(queries) if kind in ("all", q.kind)]
        if not picked:
            continue
        labels = [queries[i].relevant for i in picked]
        scores = {name: evaluate([ranked[i] for i in picked], labels)
                  for name, ranked in runs.items()}
        for name, s in scores.items():
            lines.append(_row([kind, name, f"{s.mrr:.3f}", f"{s.recall:.3f}", f"{s.ndcg:.3f}",
                               s.queries]))
        base = scores[BASELINE]
        for name in (n for n in scores if n != BASELINE):
            ours = scores[name]
            lines.append(_row([kind, f"{name} ÷ baseline", _ratio(ours.mrr, base.mrr),
                               _ratio(ours.recall, base.recall), _ratio(ours.ndcg, base.ndcg),
                               ""]))
    return lines


def worst_queries(runs: dict[str, list[list[str]]], queries: Sequence[LabelledQuery],
                  name: str, count: int = WORST) -> list[str]:
    """Markdown rows for the ``count`` queries ``name`` ranks worst (file order on ties)."""
    ranked = runs[name]

    def badness(i):
        return (reciprocal_rank(ranked[i], queries[i].relevant),
                ndcg_at(ranked[i], queries[i].relevant))

    lines = [_row(["query", "kind", "expected", f"rank ({name})", "our top hit",
                   "rank (baseline)"]), _row(["---"] * 6)]
    for i in sorted(range(len(queries)), key=badness)[:count]:
        query = queries[i]
        ours = first_relevant_rank(ranked[i], query.relevant)
        base = first_relevant_rank(runs[BASELINE][i], query.relevant)
        lines.append(_row([query.text, query.kind, ", ".join(query.relevant),
                           ours or "not in top 10", ranked[i][0] if ranked[i] else "(no hits)",
                           base or "not in top 10"]))
    return lines


def render_report(runs, queries, corpus: Path, query_file: Path) -> str:
    """The whole Markdown report: scores table then the worst queries of each backend."""
    lines = [f"# Search relevance — {date.today().isoformat()}", "",
             f"Corpus `{corpus}`, {len(queries)} labelled queries from `{query_file}`. "
             "Baseline: BM25 (k1=1.2, b=0.75) over single CJK characters and lower-cased ASCII "
             "words, no segmentation, script folding, stemming or synonyms.", "",
             *scores_table(runs, queries)]
    for name in (n for n in runs if n != BASELINE):
        lines += ["", f"## {WORST} worst queries — {name}", "", *worst_queries(runs, queries, name)]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "kb_articles")
    parser.add_argument("--queries", type=Path, default=DEFAULT_QUERIES)
    parser.add_argument("--backend", action="append", choices=BACKENDS,
                        help="repeatable; default: every backend")
    parser.add_argument("--out", type=Path, help="also write the report to this Markdown file")
    args = parser.parse_args(argv)
    queries = load_queries(args.queries)
    runs = run_evaluation(args.corpus, queries, args.backend or list(BACKENDS))
    report = render_report(runs, queries, args.corpus, args.queries)
    print(report)
    if args.out:
        args.out.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    main()

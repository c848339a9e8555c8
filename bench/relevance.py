"""Offline relevance evaluation: our search against two plain BM25 baselines on labelled queries.

Run from the repository root:
    .venv/bin/python -m bench.relevance [--set own|public|both] [--backend NAME ...]
        [--corpus kb_articles] [--queries FILE]
        [--public-name oppo-xiaobu|lcqmc] [--public-source DIR] [--public-dir DIR]
        [--out bench/results-relevance.md]

Two labelled sets: "own" is our hand-written queries over kb_articles; "public" is real
users' paraphrase questions that nobody here wrote (bench/public_set.py: 10,000 FAQ
documents and 1,000 queries sampled from OPPO-xiaobu by default, or from LCQMC). For each
set and backend (every name in portal.indexing.backend.BACKENDS unless --backend is given)
it builds a throw-away data directory, migrates a fresh SQLite database, imports the corpus
through the real importer (Markdown without front matter is accepted), builds the index
and runs every labelled query (articles only, top 10). A backend that fails is reported and
skipped. A translation answers what its original answers: every system's ranked slugs are
read as their translation group's (the original's slug, which is what the labels name),
one per group, as the portal's result pages show one language of each article. In the same
run it ranks the same articles with two baselines (bench/_metrics.py):
BM25 over single characters ("bm25-chars") and BM25 over jieba words with the bm25s package
("bm25-jieba"). It prints one table per set: MRR@10, Recall@10 and nDCG@10 overall and per
query kind, each backend's ratio to the better baseline, and the queries each backend
handles worst. The postgres backend indexes into a throwaway database (bench/_postgres.py);
it is skipped with a printed line when no PostgreSQL server answers."""

import argparse
import logging
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

import yaml
from flask_migrate import upgrade
from sqlalchemy import select
from tqdm import tqdm

from bench import public_set
from bench._metrics import (
    CUTOFF,
)
from bench._postgres import engine_configs
from bench._relevance_report import (
    BASELINES,
    KINDS,
    Evaluation,
    LabelledQuery,
    LabelledSet,
    render_report,
)
from portal import ROOT, create_app
from portal.extensions import db
from portal.indexing.backend import BACKENDS, close_backend, get_backend
from portal.indexing.outbox import reindex_all, total_documents
from portal.kb.importer import import_directory, markdown_files
from portal.models import Article
from search.backend import SearchRequest

logger = logging.getLogger(__name__)
DEFAULT_QUERIES = Path(__file__).with_name("relevance_queries.yaml")
# Hits read per query: enough for CUTOFF translation groups when every article has a
# translation or two beside it.
GROUP_DEPTH = 3 * CUTOFF
SETS = ("own", "public", "both")


def load_queries(path: Path) -> list[LabelledQuery]:
    """Read and check a labelled query file; raises ValueError naming the bad entry."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    queries = []
    for number, entry in enumerate(entries, 1):
        relevant = entry.get("relevant") if isinstance(entry, dict) else None
        if (
            not isinstance(relevant, list)
            or not 1 <= len(relevant) <= 3
            or not str(entry.get("q") or "").strip()
            or entry.get("kind") not in KINDS
        ):
            raise ValueError(
                f"{path}: entry {number} needs q, 1-3 relevant slugs and a kind "
                f"in {KINDS}: {entry!r}"
            )
        queries.append(LabelledQuery(str(entry["q"]), tuple(map(str, relevant)), entry["kind"]))
    return queries


def _app_config(data_dir: Path, backend: str, extra: dict | None = None) -> dict:
    return {
        "DATA_DIR": str(data_dir),
        "SECRET_KEY": "relevance-bench",
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{data_dir / 'portal.db'}",
        "SEARCH_INDEX_DIR": str(data_dir / "index"),
        "SEARCH_BACKEND": backend,
        **(extra or {}),
    }


def _load_corpus(
    corpus: Path, queries: Sequence[LabelledQuery], name: str, progress: bool
) -> dict[str, str]:
    """Import ``corpus``, index it and return slug -> the slug of its translation group's
    original (its own slug when it is no translation); every label must name an original."""
    with tqdm(
        total=len(markdown_files(corpus)), desc=f"{name}: import", unit="file", disable=not progress
    ) as bar:
        report = import_directory(corpus, progress=bar.update, allow_plain=True)
    for error in report.errors:
        logger.warning("not imported: %s", error)
    with tqdm(
        total=total_documents(), desc=f"{name}: index", unit="doc", disable=not progress
    ) as bar:
        reindex_all(bar.update)
    rows = db.session.execute(
        select(Article.id, Article.slug, Article.translation_of_id).where(
            Article.status == "published"
        )
    ).all()
    slug_of = {row.id: row.slug for row in rows}
    group_of = {row.slug: slug_of.get(row.translation_of_id, row.slug) for row in rows}
    labels = {s for query in queries for s in query.relevant}
    missing = labels - group_of.keys()
    if missing:
        raise ValueError(f"labelled slugs missing from {corpus}: {', '.join(sorted(missing))}")
    translations = labels - set(group_of.values())
    if translations:
        names = ", ".join(sorted(translations))
        raise ValueError(f"label the original, not a translation: {names}")
    return group_of


def one_per_group(ranked: Sequence[str], group_of: dict[str, str], k: int = CUTOFF) -> list[str]:
    """The first ``k`` translation groups of ``ranked`` slugs, each by its original's slug."""
    groups = dict.fromkeys(group_of.get(slug, slug) for slug in ranked)
    return list(groups)[:k]


def baseline_documents() -> dict[str, str]:
    """Slug -> title, summary and Markdown body of every published article."""
    articles = db.session.scalars(select(Article).where(Article.status == "published"))
    return {a.slug: f"{a.title}\n{a.summary}\n{a.body_md}" for a in articles}


def _run_baselines(
    queries: Sequence[LabelledQuery],
    group_of: dict[str, str],
    evaluation: Evaluation,
    progress: bool,
) -> None:
    documents = baseline_documents()
    evaluation.titles = {slug: text.partition("\n")[0] for slug, text in documents.items()}
    for name, baseline in BASELINES.items():
        started = time.perf_counter()
        ranker = baseline(documents)
        evaluation.runs[name] = [
            one_per_group(ranker.rank(q.text, GROUP_DEPTH), group_of)
            for q in tqdm(queries, desc=name, unit="query", disable=not progress)
        ]
        evaluation.timings[name] = (
            f"index and {len(queries)} queries {time.perf_counter() - started:.1f} s"
        )


def _search(
    queries: Sequence[LabelledQuery], group_of: dict[str, str], name: str, progress: bool
) -> list[list[str]]:
    backend, ranked = get_backend(), []
    for query in tqdm(queries, desc=f"{name}: search", unit="query", disable=not progress):
        results = backend.search(
            SearchRequest(
                text=query.text, doc_type="article", per_page=GROUP_DEPTH, highlight=False
            )
        )
        ranked.append(one_per_group([hit.slug for hit in results.hits], group_of))
    return ranked


def run_evaluation(
    corpus: Path, queries: Sequence[LabelledQuery], backends: Sequence[str], progress: bool = True
) -> Evaluation:
    """Every backend and both baselines over one labelled set. A backend that fails to
    build or search is recorded in ``failed`` and the others still run."""
    evaluation = Evaluation()
    with ExitStack() as stack:
        configs = engine_configs(list(backends), stack)
        for name, extra in configs.items():
            try:
                _evaluate_backend(name, extra, corpus, queries, progress, evaluation)
            except Exception as exc:  # one broken engine must not stop the others
                logger.warning("backend %s failed", name, exc_info=True)
                evaluation.runs.pop(name, None)
                evaluation.failed[name] = f"{type(exc).__name__}: {exc}"
                print(f"{name} failed: {evaluation.failed[name]}")
    return evaluation


def _evaluate_backend(
    name: str,
    extra: dict,
    corpus: Path,
    queries: Sequence[LabelledQuery],
    progress: bool,
    evaluation: Evaluation,
) -> None:
    """Add ``name``'s ranked slugs (and, the first time, the baselines') to ``evaluation``."""
    with tempfile.TemporaryDirectory(prefix=f"relevance-{name}-") as tmp:
        app = create_app(_app_config(Path(tmp), name, extra))
        with app.app_context():
            try:
                upgrade()
                started = time.perf_counter()
                group_of = _load_corpus(corpus, queries, name, progress)
                loaded = time.perf_counter()
                if not BASELINES.keys() <= evaluation.runs.keys():
                    _run_baselines(queries, group_of, evaluation, progress)
                searched = time.perf_counter()
                evaluation.runs[name] = _search(queries, group_of, name, progress)
                evaluation.timings[name] = (
                    f"import and index {loaded - started:.1f} s, {len(queries)} queries "
                    f"{time.perf_counter() - searched:.1f} s"
                )
            finally:
                db.session.remove()
                close_backend(app)
                db.engine.dispose()


def _public_set(args, backends: Sequence[str]) -> LabelledSet | None:
    """Sample (or reuse) the public set and evaluate it; None when its data is missing and
    the own set runs too."""
    try:
        corpus, query_file = public_set.prepare(
            args.public_name, args.public_source, args.public_dir
        )
    except public_set.PublicSetUnavailable as exc:
        if args.which == "public":
            raise SystemExit(str(exc)) from None
        print(f"public set skipped: {exc}")
        return None
    queries = load_queries(query_file)
    documents = len(markdown_files(corpus))
    heading = (
        f"Public set {args.public_name} — {len(queries)} labelled queries over "
        f"{documents} FAQ documents (`{query_file}`, see bench/public_set.py)"
    )
    return LabelledSet(heading, queries, run_evaluation(corpus, queries, backends), True)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--set",
        dest="which",
        choices=SETS,
        default="both",
        help="own: our queries over --corpus; public: bench/public_set.py",
    )
    parser.add_argument("--corpus", type=Path, default=ROOT / "kb_articles")
    parser.add_argument("--queries", type=Path, default=DEFAULT_QUERIES)
    parser.add_argument(
        "--public-name", choices=tuple(public_set.SOURCES), default=public_set.DEFAULT_SOURCE
    )
    parser.add_argument(
        "--public-source", type=Path, help=f"a checkout or git directory of {public_set.REPOSITORY}"
    )
    parser.add_argument(
        "--public-dir",
        type=Path,
        help="where the sample is written (default bench/.cache/public-NAME)",
    )
    parser.add_argument(
        "--backend", action="append", choices=BACKENDS, help="repeatable; default: every backend"
    )
    parser.add_argument("--out", type=Path, help="also write the report to this Markdown file")
    args = parser.parse_args(argv)
    backends = args.backend or list(BACKENDS)
    sets = []
    if args.which in ("own", "both"):
        queries = load_queries(args.queries)
        heading = (
            f"Own set — {len(queries)} labelled queries over `{args.corpus}` (`{args.queries}`)"
        )
        sets.append(LabelledSet(heading, queries, run_evaluation(args.corpus, queries, backends)))
    if args.which in ("public", "both"):
        public = _public_set(args, backends)
        if public:
            sets.append(public)
    report = render_report(sets)
    print(report)
    if args.out:
        args.out.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    main()

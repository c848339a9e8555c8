"""Benchmark corpus: seeded support articles and forum topics written through the real code.

Run:  .venv/bin/python -m bench.corpus --size 10000 [--force]

About 80 % articles (Markdown + front matter, imported by the bulk path of `flask kb
import`, portal/kb/importer.py) and 20 % forum topics with replies (the first few hundred
through portal/forum/services.py create_topic/reply, the rest as the rows those leave: see
bench/_corpus_forum.py). Language mix:
~85 % Chinese (a tenth of it traditional script), ~15 % English. Output, reused unless
--force: bench/.cache/corpus-<size>/{data/ (PORTAL_DATA_DIR), markdown/, manifest.json}.
The search index is NOT built here: the benchmarks build their own from the database."""

import argparse
import json
import random
import shutil
import tempfile
import time
from pathlib import Path

from bench import _vocab as vocab
from bench._common import CACHE, ROOT, SEED, bench_app, corpus_root
from bench._corpus_forum import (
    BULK_CHUNK,
    COMMIT_EVERY,
    create_topics,
    make_users,
)
from bench._corpus_text import article_markdown, forum_topic

ARTICLE_SHARE = 0.8


def plan(size: int) -> tuple[int, int]:
    """(articles, forum topics) for a corpus of ``size`` documents."""
    articles = round(size * ARTICLE_SHARE)
    return articles, size - articles


def write_markdown(directory: Path, count: int, rng: random.Random, progress: bool) -> None:
    """The article files plus the real category tree, as an editor would hand them in."""
    from tqdm import tqdm

    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "kb_articles" / "_categories.yaml", directory / "_categories.yaml")
    for number in tqdm(range(count), desc="write md", unit="file", disable=not progress):
        slug, text = article_markdown(number, rng)
        (directory / f"{slug}.md").write_text(text, encoding="utf-8")


def import_articles(directory: Path, progress: bool) -> int:
    """portal.kb.importer.import_directory, the bulk path of `flask kb import`, without its
    index updates (see module doc)."""
    from tqdm import tqdm

    from portal.kb.importer import import_directory, markdown_files

    total = len(markdown_files(directory))
    with tqdm(total=total, desc="import", unit="file", disable=not progress) as bar:
        report = import_directory(directory, progress=bar.update, update_index=False)
    if report.errors:
        raise RuntimeError(f"import failed: {report.errors[:3]}")
    return report.created


def build_corpus(
    size: int,
    base: Path | None = None,
    seed: int = SEED,
    force: bool = False,
    progress: bool = True,
) -> dict:
    """Generate and import a corpus of ``size`` documents; return its manifest (reused when
    one exists, unless ``force``)."""
    from flask_migrate import upgrade
    from sqlalchemy import delete

    from portal.extensions import db
    from portal.kb.importer import import_categories
    from portal.models import IndexTask

    root = corpus_root(size, base) if base else corpus_root(size)
    manifest_file = root / "manifest.json"
    if manifest_file.exists() and not force:
        return json.loads(manifest_file.read_text())
    shutil.rmtree(root, ignore_errors=True)
    data_dir, markdown_dir = root / "data", root / "markdown"
    data_dir.mkdir(parents=True)
    n_articles, n_topics = plan(size)
    rng = random.Random(seed)
    started = time.perf_counter()
    write_markdown(markdown_dir, n_articles, rng, progress)
    written = time.perf_counter()
    # The few topics posted without batching update an index: keep it out of data/.
    with tempfile.TemporaryDirectory() as scratch_index:
        app = bench_app(data_dir, SEARCH_INDEX_DIR=scratch_index)
        with app.app_context():
            upgrade()
            import_categories(markdown_dir / "_categories.yaml")
            users = make_users(size)
            topics = [forum_topic(number, rng) for number in range(n_topics)]
            forum_report = create_topics(app, topics, users, progress)
            topics_done = time.perf_counter()
            created = import_articles(markdown_dir, progress)
            imported = time.perf_counter()
            # Queued index work is covered by whoever builds the index from the database.
            db.session.execute(delete(IndexTask))
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
    manifest = {
        "size": size,
        "seed": seed,
        "articles": created,
        "topics": n_topics,
        "replies": forum_report["replies"],
        "seconds": {
            "write_markdown": round(written - started, 2),
            "forum": round(topics_done - written, 2),
            "import_articles": round(imported - topics_done, 2),
            "total": round(imported - started, 2),
        },
        "forum_unbatched_topics_per_s": forum_report["unbatched_rate"],
        "forum_batched_topics_per_s": forum_report["batched_rate"],
        "forum_bulk_topics_per_s": forum_report["bulk_rate"],
    }
    manifest["docs_per_s"] = round(size / manifest["seconds"]["total"], 1)
    manifest_file.write_text(json.dumps(manifest, indent=2))
    return manifest


def summary_rows(manifest: dict) -> list[list]:
    """Rows for the corpus table."""
    seconds = manifest["seconds"]
    return [
        [
            "documents",
            f"{manifest['size']:,} ({manifest['articles']:,} articles, "
            f"{manifest['topics']:,} topics, {manifest['replies']:,} replies)",
        ],
        ["write Markdown", f"{seconds['write_markdown']} s"],
        [
            "import articles (importer, bulk)",
            f"{seconds['import_articles']} s "
            f"({manifest['articles'] / max(seconds['import_articles'], 1e-9):,.0f} articles/s)",
        ],
        ["forum topics", f"{seconds['forum']} s"],
        [
            "  services, unbatched (commit + index per post)",
            f"{manifest['forum_unbatched_topics_per_s']} topics/s",
        ],
        [
            f"  services, batched (commit every {COMMIT_EVERY} posts)",
            f"{manifest['forum_batched_topics_per_s']} topics/s",
        ],
        [
            f"  bulk rows ({BULK_CHUNK:,} topics a commit)",
            f"{manifest.get('forum_bulk_topics_per_s', '–')} topics/s",
        ],
        ["generation + import", f"{seconds['total']} s = {manifest['docs_per_s']:,} docs/s"],
    ]


def main(argv: list[str] | None = None) -> None:
    from bench._common import emit, markdown_table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--force", action="store_true", help="rebuild even if cached")
    parser.add_argument("--markdown", type=Path, help="append the table to this file")
    parser.add_argument(
        "--base",
        type=Path,
        default=CACHE,
        help="where corpus-<size>/ is kept (default bench/.cache)",
    )
    parser.add_argument(
        "--no-progress", dest="progress", action="store_false", help="no progress bars"
    )
    args = parser.parse_args(argv)
    root = corpus_root(args.size, args.base)
    cached = (root / "manifest.json").exists() and not args.force
    manifest = build_corpus(
        args.size, base=args.base, seed=args.seed, force=args.force, progress=args.progress
    )
    notes = [
        f"data directory: {root / 'data'}",
        f"language mix target: {1 - vocab.ENGLISH_SHARE:.0%} Chinese "
        f"(a tenth traditional), {vocab.ENGLISH_SHARE:.0%} English",
    ]
    if cached:
        notes.insert(0, "reused from the cache (figures are from when it was built)")
    emit(
        f"Corpus: {args.size:,} documents",
        markdown_table(["step", "result"], summary_rows(manifest)),
        notes,
        args.markdown,
    )


if __name__ == "__main__":
    main()

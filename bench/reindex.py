"""Reindex benchmark: `flask --app wsgi search reindex` on a copy of a cached corpus.

Run:  .venv/bin/python -m bench.reindex --size 100000 [--backend tantivy] [--runs 1]

The corpus's data directory (bench/.cache/corpus-<size>/data, built by bench.corpus) is
copied to a temporary directory, in memory (/dev/shm) when it has room, and migrated; the
cached corpus itself is never written. Each run rebuilds the index from scratch and reports
wall time, documents/s, and the CPU time of the command with its worker processes: on a
machine whose cores others share, CPU time is the figure to compare. A change that makes the
analysis cheaper must keep its output: `python -m bench.analysis` prints a hash of every
token of every corpus document, the same before and after.
"""

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._common import CACHE, ROOT, corpus_root, emit, fmt, markdown_table

BIN = Path(sys.executable).parent
_COUNT_RE = re.compile(r"Indexed (\d+) documents")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# Memory, so the index's commits do not wait for a disk; used only when it has room.
MEMORY_DIR = Path("/dev/shm")  # noqa: S108 (a private temporary directory is made inside)


def _scratch_parent(data: Path) -> str | None:
    """MEMORY_DIR when it holds two copies of the data with room to spare, else the default."""
    size = sum(f.stat().st_size for f in data.rglob("*") if f.is_file())
    if MEMORY_DIR.is_dir() and shutil.disk_usage(MEMORY_DIR).free > 2 * size + 2**30:
        return str(MEMORY_DIR)
    return None


def run_reindex(env: dict) -> tuple[int, float, float]:
    """One `flask search reindex`: (documents, wall seconds, CPU seconds incl. workers)."""
    flask = [str(BIN / "flask"), "--app", "wsgi", "search", "reindex"]
    cpu = _children_cpu()
    started = time.perf_counter()
    result = subprocess.run(flask, cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - started
    match = _COUNT_RE.search(result.stdout)
    if match is None:
        raise RuntimeError(f"no document count in: {result.stdout[-500:]}")
    return int(match.group(1)), wall, _children_cpu() - cpu


def measure(size: int, base: Path, backend: str, runs: int) -> list[tuple[int, float, float]]:
    """Copy the corpus data, migrate it, reindex it ``runs`` times."""
    source = corpus_root(size, base) / "data"
    if not (source / "portal.db").exists():
        raise SystemExit(f"no corpus in {source}: run python -m bench.corpus --size {size}")
    with tempfile.TemporaryDirectory(dir=_scratch_parent(source)) as scratch:
        data = Path(scratch) / "data"
        shutil.copytree(source, data, ignore=shutil.ignore_patterns("index"))
        env = {**os.environ, "PORTAL_DATA_DIR": str(data), "PORTAL_SEARCH_BACKEND": backend}
        flask = [str(BIN / "flask"), "--app", "wsgi"]
        subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True)
        return [run_reindex(env) for _ in range(runs)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--base", type=Path, default=CACHE, help="where corpus-<size>/ is")
    parser.add_argument("--backend", default="tantivy", choices=["tantivy", "whoosh"])
    parser.add_argument("--runs", type=int, default=1, help="reindex this many times")
    parser.add_argument("--markdown", type=Path, help="append the table to this file")
    args = parser.parse_args(argv)
    results = measure(args.size, args.base, args.backend, args.runs)
    documents = results[0][0]
    wall = statistics.median(r[1] for r in results)
    cpu = statistics.median(r[2] for r in results)
    cores = os.cpu_count() or 1
    rows = [
        ["documents", f"{documents:,}"],
        ["wall", f"{fmt(wall)} s = {fmt(documents / wall, 0)} docs/s"],
        ["CPU (command + its workers)", f"{fmt(cpu)} s = {fmt(1000 * cpu / documents, 2)} ms/doc"],
        [f"CPU-bound rate on {cores} cores", f"{fmt(documents * cores / cpu, 0)} docs/s"],
    ]
    emit(
        f"Reindex: {documents:,} documents ({args.backend})",
        markdown_table(["measure", "result"], rows),
        [
            f"`flask --app wsgi search reindex` on a copy of corpus-{args.size}; "
            f"median of {len(results)} run(s)",
            "CPU-bound rate: the documents/s if every core ran only this command",
        ],
        args.markdown,
    )


if __name__ == "__main__":
    main()

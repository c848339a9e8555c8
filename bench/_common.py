"""Helpers shared by the benchmark scripts: where the corpus lives, an app on a data
directory, percentiles, and tables printed to the terminal and appended to Markdown."""

import os
import platform
import statistics
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
SEED = 20261123


def corpus_root(size: int, base: Path = CACHE) -> Path:
    """bench/.cache/corpus-<size>/: data/ (what PORTAL_DATA_DIR points at), markdown/,
    manifest.json."""
    return base / f"corpus-{size}"


def bench_app(data_dir: Path, **overrides):
    """The real app on ``data_dir``, without the background scheduler (no stray writes)."""
    from portal import create_app

    config = {
        "DATA_DIR": str(data_dir),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{data_dir / 'portal.db'}",
        "SEARCH_INDEX_DIR": str(data_dir / "index"),
        "JOBS_INTERVAL_SECONDS": 0,
    }
    config.update(overrides)
    return create_app(config)


def percentiles(samples_ms: list[float]) -> tuple[float, float, float]:
    """p50, p95 and p99 of the samples (inclusive method: stable for small samples)."""
    if not samples_ms:
        return (0.0, 0.0, 0.0)
    if len(samples_ms) == 1:
        return (samples_ms[0],) * 3
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return (cuts[49], cuts[94], cuts[98])


def fmt(value: float, digits: int = 1) -> str:
    """A number for a table: thousands separators, fixed decimals."""
    return f"{value:,.{digits}f}"


def markdown_table(headers: list[str], rows: list[list]) -> str:
    """A GitHub-style Markdown table (also readable as plain text)."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def emit(title: str, table: str, notes: list[str], markdown: Path | None) -> None:
    """Print a section and, when asked, append it to a Markdown file."""
    text = f"## {title}\n\n{table}\n"
    if notes:
        text += "\n" + "\n".join(f"- {note}" for note in notes) + "\n"
    print("\n" + text)
    if markdown is not None:
        markdown.parent.mkdir(parents=True, exist_ok=True)
        with markdown.open("a", encoding="utf-8") as handle:
            handle.write(text + "\n")


def machine_line() -> str:
    """Date, cores, CPU model and Python: the context every figure needs."""
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} cores ({cpu}), "
        f"Python {platform.python_version()}"
    )


@dataclass
class EngineResult:
    """One search engine's figures: index build time and per-query samples."""

    engine: str
    docs: int
    index_seconds: float
    samples: list[tuple[str, float, int]]  # (query kind, milliseconds, hit count)
    cpu_ms: list[float] = field(default_factory=list)  # this thread's CPU per query

    @property
    def docs_per_s(self) -> float:
        return self.docs / self.index_seconds if self.index_seconds else 0.0

    def latencies(self, kind: str | None = None) -> list[float]:
        return [ms for k, ms, _hits in self.samples if kind in (None, k)]

    def zero_hit_share(self, kind: str | None = None) -> float:
        chosen = [hits for k, _ms, hits in self.samples if kind in (None, k)]
        return sum(1 for hits in chosen if hits == 0) / len(chosen) if chosen else 0.0

    def kinds(self) -> list[str]:
        return sorted({k for k, _ms, _hits in self.samples})

    def cpu(self, kind: str | None = None) -> list[float]:
        """CPU milliseconds of the queries of ``kind`` (all when None); cpu_ms is recorded
        in the order of samples."""
        if len(self.cpu_ms) != len(self.samples):
            return []
        pairs = zip(self.samples, self.cpu_ms, strict=True)
        return [ms for (k, _ms, _hits), ms in pairs if kind in (None, k)]


def summary_rows(results: list[EngineResult], baseline: str | None = None) -> list[list]:
    """engine | index docs/s | p50 | p95 | p99 | CPU p50 | CPU p95 | zero-hit % | ratio of
    p50 to the baseline (the result named ``baseline``, else the last)."""
    base = next((r for r in results if r.engine == baseline), results[-1])
    base_p50 = percentiles(base.latencies())[0] or 1e-9
    rows = []
    for result in results:
        p50, p95, p99 = percentiles(result.latencies())
        cpu = _cpu_cells(result.cpu())
        rows.append(
            [
                result.engine,
                fmt(result.docs_per_s, 0),
                fmt(p50, 2),
                fmt(p95, 2),
                fmt(p99, 2),
                *cpu,
                fmt(100 * result.zero_hit_share(), 1),
                f"{p50 / base_p50:.2f}×",
            ]
        )
    return rows


def _cpu_cells(cpu_ms: list[float]) -> list[str]:
    # CPU p50 and p95 (the machine is shared: CPU time is the steadier figure).
    if not cpu_ms:
        return ["—", "—"]
    p50, p95, _p99 = percentiles(cpu_ms)
    return [fmt(p50, 2), fmt(p95, 2)]


def kind_rows(results: list[EngineResult]) -> list[list]:
    """engine | kind | queries | p50 | p95 | p99 | CPU p50 | CPU p95 | zero-hit %, per
    query kind."""
    rows = []
    for result in results:
        for kind in result.kinds():
            p50, p95, p99 = percentiles(result.latencies(kind))
            rows.append(
                [
                    result.engine,
                    kind,
                    len(result.latencies(kind)),
                    fmt(p50, 2),
                    fmt(p95, 2),
                    fmt(p99, 2),
                    *_cpu_cells(result.cpu(kind)),
                    fmt(100 * result.zero_hit_share(kind), 1),
                ]
            )
    return rows

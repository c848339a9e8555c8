"""Load with faults: the portal under gunicorn takes a mixed load of searches, posts, edits
and votes while one worker is SIGKILLed and the server is restarted; then every write that
was acknowledged must be in the database and the search index exactly once.

Run:  .venv/bin/python -m bench.faults [--requests 600 | --seconds S] [--threads 6]
                                       [--backend whoosh|sqlite] [--short] [--markdown FILE]

A fresh data directory in a temporary directory (migrate, import kb_articles, reindex,
accounts made with `flask users create`), gunicorn -w 2 on a free loopback port. At a third
of the run one worker gets SIGKILL (the master respawns it); at two thirds the master gets
SIGTERM and a new gunicorn starts on the same port and data directory. Clients retry reads
through the outage but never writes. Exit status 1 when the check fails."""

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

from bench._common import CACHE, ROOT, bench_app, emit, markdown_table
from bench._faults_check import check
from bench._faults_client import ACKED, ERROR_KINDS, REJECTED, UNKNOWN, Tally
from bench._faults_load import Account, Plan, run_clients
from bench._vocab import query_set
from bench.http_load import BIN, WORKERS, free_port, gunicorn, wait_healthy

SHORT_REQUESTS, SHORT_THREADS = 150, 4
WRITE_KINDS = ("topic", "reply", "edit", "vote")


def cli(env: dict, *args: str) -> str:
    """Run `flask --app wsgi ...` on the data directory; its output (shown when it fails)."""
    done = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        sys.exit(f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout.strip()


def prepare(data_dir: Path, backend: str, threads: int) -> tuple[dict, list[Account], Plan]:
    """Migrate, import, index and create the load accounts; (environment, accounts, plan)."""
    env = {
        **os.environ,
        "PORTAL_DATA_DIR": str(data_dir),
        "PORTAL_SEARCH_BACKEND": backend,
        "PYTHONUNBUFFERED": "1",
        # The load must not be throttled by the request rate limits being added.
        "PORTAL_RATE_LIMITS_ENABLED": "0",
        "RATELIMIT_ENABLED": "0",
    }
    cli(env, "db", "upgrade")
    cli(env, "kb", "import", str(ROOT / "kb_articles"))
    cli(env, "search", "reindex")
    accounts = [
        Account(f"load-{n}@example.com", secrets.token_urlsafe(16), "customer")
        for n in range(threads - 1)
    ]
    accounts.append(Account("load-editor@example.com", secrets.token_urlsafe(16), "editor"))
    for account in accounts:
        cli(
            env,
            "users",
            "create",
            account.email,
            "--role",
            account.role,
            "--password",
            account.password,
        )
    return env, accounts, Plan(backdate_and_list(data_dir, accounts), words_to_search())


def backdate_and_list(data_dir: Path, accounts: list[Account]) -> list[tuple[int, str]]:
    """Make the load accounts 30 days old and list the published articles (id, slug).

    Backdated in the database rather than configured away: accounts younger than
    NEW_ACCOUNT_DAYS may post NEW_ACCOUNT_POSTS_PER_HOUR times an hour, and the server
    must run with its production configuration."""
    from sqlalchemy import select, update

    from portal.clock import now
    from portal.extensions import db
    from portal.models import Article, User

    app = bench_app(data_dir)
    with app.app_context():
        days = app.config["NEW_ACCOUNT_DAYS"] + 23
        db.session.execute(
            update(User)
            .where(User.email.in_([a.email for a in accounts]))
            .values(created_at=now() - timedelta(days=days))
        )
        db.session.commit()
        articles = db.session.execute(
            select(Article.id, Article.slug)
            .where(Article.status == "published")
            .order_by(Article.id)
        ).all()
        db.engine.dispose()
    return [tuple(row) for row in articles]


def words_to_search() -> list[str]:
    return sorted({query.text for query in query_set() if query.text.strip()})


class Server:
    """gunicorn (bench/http_load.py's) that can lose a worker and be restarted in place."""

    def __init__(self, env: dict, port: int, logs: Path):
        self.env, self.port, self.logs = env, port, logs
        self.stack, self.process, self.starts = ExitStack(), None, 0
        self.events: list[str] = []

    def start(self) -> None:
        self.process = self.stack.enter_context(gunicorn(self.env, self.port))
        self.starts += 1
        wait_healthy(self.port)

    def stop(self) -> None:
        self.stack.close()
        # bench/http_load.py's helper writes CACHE/gunicorn.log afresh each start: keep each one.
        shutil.copy(CACHE / "gunicorn.log", self.logs / f"gunicorn-{self.starts}.log")

    def workers(self) -> list[int]:
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return [int(child) for child in children]

    def kill_worker(self) -> None:
        victim = self.workers()[0]
        os.kill(victim, signal.SIGKILL)
        started = time.monotonic()
        while time.monotonic() - started < 30:  # the master notices and forks a new one
            current = self.workers()
            if victim not in current and len(current) == WORKERS:
                break
            time.sleep(0.05)
        self.events.append(
            f"SIGKILL worker {victim}: master had {len(self.workers())} "
            f"workers again after {time.monotonic() - started:.1f} s"
        )

    def restart(self) -> None:
        started = time.monotonic()
        self.stop()
        self.start()
        self.events.append(
            f"restart (SIGTERM, wait, start again): healthy again after "
            f"{time.monotonic() - started:.1f} s"
        )


def inject_faults(server: Server, progress: Callable[[], float], stop: threading.Event) -> None:
    """Kill a worker at a third of the run and restart the server at two thirds."""
    for at, fault in ((1 / 3, server.kill_worker), (2 / 3, server.restart)):
        while progress() < at:
            if stop.wait(0.02):
                return
        fault()


def run(args) -> bool:
    from tqdm import tqdm

    CACHE.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="faults-"))
    data_dir = work / "data"
    print(f"preparing {data_dir} ({args.backend}) ...", flush=True)
    env, accounts, plan = prepare(data_dir, args.backend, args.threads)
    port = free_port()
    server = Server(env, port, work)
    tally = Tally(budget=None if args.seconds else args.requests, deadline=None)
    stop = threading.Event()
    server.start()
    started = time.monotonic()
    if args.seconds:  # the clock starts when the server is up
        tally.deadline = started + args.seconds

    def progress() -> float:
        if args.seconds:
            return (time.monotonic() - started) / args.seconds
        return tally.sent / args.requests

    faults = threading.Thread(target=inject_faults, args=(server, progress, stop))
    try:
        with tqdm(total=tally.budget, unit="req", desc="load", mininterval=0.5) as bar:
            tally.progress = bar
            faults.start()
            crashes = run_clients(f"http://127.0.0.1:{port}", tally, accounts, plan, args.seed)
    finally:
        stop.set()
        faults.join()
        server.stop()
    seconds = time.monotonic() - started
    drained = cli(env, "search", "drain")
    verdict = check(data_dir, args.backend, tally.writes)
    passed = report(args, tally, verdict, server, crashes, seconds, drained)
    if passed and not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"data directory and gunicorn logs kept in {work}")
    return passed


def report(
    args, tally: Tally, verdict, server: Server, crashes: list[str], seconds: float, drained: str
) -> bool:
    """Print (and append with --markdown) the table; True when the run passed."""

    def by_kind(outcome: str) -> str:
        chosen = [w.kind for w in tally.writes if w.outcome == outcome]
        return (
            ", ".join(f"{kind} {chosen.count(kind)}" for kind in WRITE_KINDS if kind in chosen)
            or "-"
        )

    acked = sum(1 for w in tally.writes if w.outcome == ACKED)
    unknown = sum(1 for w in tally.writes if w.outcome == UNKNOWN)
    rejected = sum(1 for w in tally.writes if w.outcome == REJECTED)
    passed = (
        acked > 0
        and verdict.found_db == acked
        and verdict.found_index == verdict.index_expected
        and not verdict.duplicates
        and not verdict.problems
        and not crashes
        and len(server.events) == 2
    )
    rows = [
        ["requests total", sum(tally.by_kind.values())],
        ["requests by kind", ", ".join(f"{k} {n}" for k, n in sorted(tally.by_kind.items()))],
        ["errors by kind", ", ".join(f"{k} {tally.errors.get(k, 0)}" for k in ERROR_KINDS)],
        ["writes acknowledged", acked],
        ["writes unknown", unknown],
        ["writes rejected", rejected],
        ["writes found in DB", verdict.found_db],
        ["writes found in index", f"{verdict.found_index} of {verdict.index_expected}"],
        ["unknown writes saved (once each)", verdict.unknown_saved],
        ["duplicates", verdict.duplicates],
        ["result", "PASS" if passed else "FAIL"],
    ]
    notes = [
        f"{args.threads} client threads, {seconds:.1f} s of load, gunicorn -w {WORKERS} "
        f"--threads 1, {args.backend} backend, seed {args.seed}",
        f"acknowledged: {by_kind(ACKED)}; unknown (response lost): {by_kind(UNKNOWN)}; "
        f"rejected (refused or 4xx, must not be saved): {by_kind(REJECTED)}",
        *server.events,
        f"after the load, `flask search drain`: {drained}",
    ]
    notes += [f"client crashed: {crash}" for crash in crashes]
    notes += [f"problem: {problem}" for problem in verdict.problems[:20]]
    if len(server.events) < 2:
        notes.append("FAIL: the run ended before both faults were injected")
    emit(
        "Load with faults: worker SIGKILL and server restart",
        markdown_table(["figure", "value"], rows),
        notes,
        args.markdown,
    )
    return passed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--requests",
        type=int,
        default=600,
        help="requests to send (connection-refused retries not counted)",
    )
    parser.add_argument("--seconds", type=float, help="run for this long instead")
    parser.add_argument(
        "--threads", type=int, default=6, help="client threads (the last one is the editor)"
    )
    parser.add_argument("--backend", choices=("tantivy", "whoosh"), default="tantivy")
    parser.add_argument(
        "--short",
        action="store_true",
        help=f"the CI form: {SHORT_REQUESTS} requests, {SHORT_THREADS} threads",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    parser.add_argument("--markdown", type=Path, help="append the table to this file")
    args = parser.parse_args()
    if args.short:
        args.requests, args.threads, args.seconds = SHORT_REQUESTS, SHORT_THREADS, None
    if args.threads < 2:
        parser.error("--threads must be at least 2 (customers and one editor)")
    if not (BIN / "gunicorn").exists():
        sys.exit(f"gunicorn is not installed in {BIN}")
    # gunicorn runs in its own session: on SIGTERM (a test's timeout) unwind, so the
    # `finally` in run() stops it instead of leaving it behind.
    signal.signal(signal.SIGTERM, lambda *_args: sys.exit(143))
    sys.exit(0 if run(args) else 1)


if __name__ == "__main__":
    main()

"""The periodic jobs: the database lease (taken, refused, expired, re-entrant), the shared
schedule (each job once per interval whoever runs it, the purge daily, a failure retried),
mail claims (two senders never send one mail), the commands and the worker-thread switch."""

import logging
import os
import signal
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal import config as portal_config
from portal import create_app
from portal.config import build_config
from portal.extensions import db
from portal.jobs.lease import EPOCH, acquire, lease
from portal.jobs.runner import run_in_foreground
from portal.jobs.schedule import JOBS, Job, run_pending
from portal.models import JobLease, OutboxMail
from portal.notify.mailer import CLAIM_TTL, claim_mails, send_outbox
from portal.notify.services import queue_mail
from tests.smtp_support import SmtpServer

MINUTE = timedelta(minutes=1)


def in_other_thread(app, work):
    """``work()`` in a thread of its own with its own app context (another worker)."""
    result = []

    def target():
        with app.app_context():
            try:
                result.append(work())
            finally:
                db.session.remove()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(30)
    return result[0]


def held_by(name):
    db.session.expire_all()
    return db.session.get(JobLease, name)


def test_a_lease_held_elsewhere_is_refused_until_it_expires(app, clock):
    assert acquire("test-job", timedelta(minutes=5), holder="other-host:1")
    with lease("test-job", timedelta(minutes=5)) as held:
        assert held is False
    clock.advance(minutes=6)  # the other holder died: its lease runs out
    with lease("test-job", timedelta(minutes=5)) as held:
        assert held is True
        assert held_by("test-job").held_until == clock.current + timedelta(minutes=5)
    assert held_by("test-job").held_until == EPOCH  # released at the end of the block


def test_a_lease_is_reentrant_in_its_thread_only(app, clock):
    def try_elsewhere():
        with lease("test-job", MINUTE) as held:
            return held

    with lease("test-job", MINUTE) as outer:
        with lease("test-job", MINUTE) as inner:
            assert outer and inner
        assert held_by("test-job").held_until > clock.current  # the inner block kept it
        assert in_other_thread(app, try_elsewhere) is False
    assert in_other_thread(app, try_elsewhere) is True


class Counter:
    def __init__(self, fail=False):
        self.runs, self.fail = 0, fail

    def __call__(self):
        self.runs += 1
        if self.fail:
            raise RuntimeError("boom")


def test_each_job_runs_once_per_interval_whoever_runs_the_schedule(app, clock):
    often, daily = Counter(), Counter()
    jobs = (
        Job("test-often", often, ttl=MINUTE),
        Job("test-daily", daily, ttl=MINUTE, every=timedelta(days=1)),
    )
    assert run_pending(MINUTE, jobs) == ["test-often", "test-daily"]
    # Another worker's pass a moment later finds nothing due.
    assert in_other_thread(app, lambda: run_pending(MINUTE, jobs)) == []
    clock.advance(seconds=20)
    assert run_pending(MINUTE, jobs) == []
    clock.advance(seconds=20)  # 40 s: within half an interval of due, so this pass takes it
    assert run_pending(MINUTE, jobs) == ["test-often"]
    clock.advance(days=1)
    assert in_other_thread(app, lambda: run_pending(MINUTE, jobs)) == ["test-often", "test-daily"]
    assert (often.runs, daily.runs) == (3, 2)


def test_a_failed_job_is_logged_retried_and_does_not_stop_the_others(app, clock, caplog):
    broken, fine = Counter(fail=True), Counter()
    jobs = (Job("test-broken", broken, ttl=MINUTE), Job("test-fine", fine, ttl=MINUTE))
    assert run_pending(MINUTE, jobs) == ["test-fine"]
    assert "job test-broken failed; the next pass retries it" in caplog.text
    assert held_by("test-broken").held_until == EPOCH  # the lease is given back
    assert run_pending(MINUTE, jobs) == []  # test-broken: retried at once, fails again
    assert (broken.runs, fine.runs) == (2, 1)


def test_a_job_running_elsewhere_is_skipped_and_stays_due(app, clock):
    counter = Counter()
    jobs = (Job("test-job", counter, ttl=MINUTE),)
    assert acquire("test-job", timedelta(minutes=5), holder="other-host:1")
    assert run_pending(MINUTE, jobs) == []
    clock.advance(minutes=6)
    assert run_pending(MINUTE, jobs) == ["test-job"]


def test_the_schedule_holds_every_periodic_job():
    assert [job.name for job in JOBS] == [
        "router-sweep",
        "index-drain",
        "mail-outbox",
        "insights-rollup",
        "retention-purge",
        "login-locks-purge",
    ]
    assert [job.every for job in JOBS] == [
        None,
        None,
        None,
        None,
        timedelta(days=1),
        timedelta(days=1),
    ]


def queue(count):
    for n in range(count):
        queue_mail(f"user{n}@example.com", f"mail {n}", "body")
    db.session.commit()


def test_two_claims_never_share_a_mail(app, clock):
    queue(5)
    first = [mail.id for mail in claim_mails(3)]
    second = in_other_thread(app, lambda: [mail.id for mail in claim_mails(10)])
    assert len(first) == 3 and len(second) == 2 and not set(first) & set(second)
    assert claim_mails(10) == []


def test_the_claim_of_a_sender_that_died_runs_out(app, clock):
    queue(2)
    assert len(claim_mails()) == 2
    clock.advance(seconds=CLAIM_TTL.total_seconds() - 1)
    assert claim_mails() == []
    clock.advance(seconds=2)
    assert len(claim_mails()) == 2


def test_two_senders_at_once_send_each_mail_exactly_once(app, clock):
    """No lease here: only the claims keep two senders apart."""
    queue(24)

    def send_all():
        total = 0
        while sent := send_outbox(limit=3):
            total += sent
        return total

    with SmtpServer(None, delay=0.01) as server:
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=server.port, SMTP_TLS="none")
        results = []
        threads = [
            threading.Thread(target=lambda: results.append(in_other_thread(app, send_all)))
            for _ in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert sorted(server.subjects()) == sorted(f"mail {n}" for n in range(24))
    assert sum(results) == 24
    db.session.expire_all()
    assert db.session.scalar(select(OutboxMail).where(OutboxMail.sent_at.is_(None))) is None


def test_jobs_run_once_runs_the_due_jobs_and_jobs_list_shows_them(app, clock):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["jobs", "list"])
    assert result.exit_code == 0 and "router-sweep     every 60s   last run never" in result.output
    result = runner.invoke(args=["jobs", "run", "--once"])
    assert result.exit_code == 0, result.output
    assert result.output == (
        "Ran: router-sweep, index-drain, mail-outbox, insights-rollup, "
        "retention-purge, login-locks-purge.\n"
    )
    assert runner.invoke(args=["jobs", "run", "--once"]).output == "Ran: nothing was due.\n"
    result = runner.invoke(args=["jobs", "list"])
    assert "retention-purge  every 1d    last run 2026-11-02 09:00:00 UTC" in result.output


def test_ctrl_c_stops_the_scheduler_after_its_pass(app, caplog):
    before = signal.getsignal(signal.SIGINT)
    threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT)).start()
    with caplog.at_level(logging.INFO, logger="portal.jobs"):
        run_in_foreground(app, 1)  # returns instead of raising KeyboardInterrupt
    assert "jobs: SIGINT received, stopping after the running job" in caplog.text
    assert "jobs: scheduler stopped" in caplog.text
    assert signal.getsignal(signal.SIGINT) is before
    assert held_by("router-sweep").last_run_at is not None  # it did run meanwhile


@pytest.mark.parametrize(
    ("settings", "thread"),
    [
        ({}, True),
        ({"JOBS_IN_WORKER": False}, False),
        ({"JOBS_INTERVAL_SECONDS": 0}, False),
    ],
)
def test_the_workers_thread_can_be_turned_off(tmp_path, settings, thread):
    app = create_app(
        {
            "DATA_DIR": str(tmp_path),
            "SECRET_KEY": "x",
            "TESTING": False,
            "JOBS_INTERVAL_SECONDS": 60,
            **settings,
        }
    )
    assert ("jobs_stop" in app.extensions) is thread


@pytest.mark.parametrize(("value", "on"), [(None, True), ("0", False), ("off", False), ("1", True)])
def test_portal_jobs_in_worker(tmp_path, monkeypatch, value, on):
    if value is None:
        monkeypatch.delenv("PORTAL_JOBS_IN_WORKER", raising=False)
    else:
        monkeypatch.setenv("PORTAL_JOBS_IN_WORKER", value)
    assert build_config({"DATA_DIR": tmp_path})["JOBS_IN_WORKER"] is on


def test_the_jobs_interval_and_its_old_name(tmp_path, monkeypatch, caplog):
    """PORTAL_JOBS_INTERVAL sets it; the old PORTAL_ROUTER_INTERVAL is still read when the
    new name is not set, with one deprecation warning per process however many apps start."""
    monkeypatch.setattr(portal_config, "_warned_deprecated", set())
    monkeypatch.delenv("PORTAL_JOBS_INTERVAL", raising=False)
    monkeypatch.delenv("PORTAL_ROUTER_INTERVAL", raising=False)
    assert build_config({"DATA_DIR": tmp_path})["JOBS_INTERVAL_SECONDS"] == 60
    monkeypatch.setenv("PORTAL_JOBS_INTERVAL", "5")
    assert build_config({"DATA_DIR": tmp_path})["JOBS_INTERVAL_SECONDS"] == 5
    assert "deprecated" not in caplog.text

    monkeypatch.delenv("PORTAL_JOBS_INTERVAL")
    monkeypatch.setenv("PORTAL_ROUTER_INTERVAL", "7")
    with caplog.at_level(logging.WARNING, logger="portal.config"):
        assert build_config({"DATA_DIR": tmp_path})["JOBS_INTERVAL_SECONDS"] == 7
        assert build_config({"DATA_DIR": tmp_path})["JOBS_INTERVAL_SECONDS"] == 7
        monkeypatch.setenv("PORTAL_JOBS_INTERVAL", "9")  # the new name wins
        assert build_config({"DATA_DIR": tmp_path})["JOBS_INTERVAL_SECONDS"] == 9
    warnings = [r for r in caplog.records if "PORTAL_ROUTER_INTERVAL is deprecated" in r.message]
    assert len(warnings) == 1
    assert "PORTAL_JOBS_INTERVAL" in warnings[0].getMessage()

"""Real processes on one database (SQLite here, PostgreSQL when PORTAL_TEST_DATABASE_URL is
set) and one SMTP server: two schedulers (`flask jobs run`) send each queued mail exactly
once and stop cleanly on SIGTERM; two bare senders racing without the lease are kept apart
by the mail claims alone."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import OutboxMail
from portal.notify.services import queue_mail
from tests import ROOT
from tests.smtp_support import SmtpServer

BIN = Path(sys.executable).parent
MAILS = 40
# A sender started by the test: waits for the go file so both start at once, then sends
# batches of three until the outbox is empty and prints how many it sent.
SENDER = """
import sys, time
from pathlib import Path
from wsgi import app
from portal.notify.mailer import send_outbox
go = Path(sys.argv[1])
print("ready", flush=True)
while not go.exists():
    time.sleep(0.01)
with app.app_context():
    total = 0
    while sent := send_outbox(limit=3):
        total += sent
print(total, flush=True)
"""


def queue_mails():
    for n in range(MAILS):
        queue_mail(f"user{n}@example.com", f"mail {n}", "body")
    db.session.commit()
    return sorted(f"mail {n}" for n in range(MAILS))


def environment(app, server, data_dir: Path) -> dict:
    data_dir.mkdir()
    return {
        **os.environ,
        "PORTAL_DATA_DIR": str(data_dir),
        "SECRET_KEY": "jobs-test",
        "PORTAL_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "PORTAL_SEARCH_BACKEND": app.config["SEARCH_BACKEND"],
        "PORTAL_SMTP_HOST": "127.0.0.1",
        "PORTAL_SMTP_PORT": str(server.port),
        "PORTAL_JOBS_INTERVAL": "1",
        "PYTHONUNBUFFERED": "1",
    }


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def unsent() -> int:
    db.session.expire_all()
    db.session.rollback()
    return db.session.scalar(
        select(func.count()).select_from(OutboxMail).where(OutboxMail.sent_at.is_(None))
    )


def test_two_scheduler_processes_send_each_mail_once_and_stop_on_sigterm(app, tmp_path):
    expected = queue_mails()
    with SmtpServer(None, delay=0.01) as server:
        logs = [tmp_path / f"jobs-{name}.log" for name in "ab"]
        processes = [
            subprocess.Popen(
                [str(BIN / "flask"), "--app", "wsgi", "jobs", "run"],
                cwd=ROOT,
                env=environment(app, server, tmp_path / name),
                stdout=subprocess.DEVNULL,
                stderr=log.open("w"),
            )
            for name, log in zip("ab", logs, strict=True)
        ]
        try:
            wait_for(
                lambda: all("scheduler started" in log.read_text() for log in logs),
                20,
                "the schedulers did not start",
            )
            wait_for(lambda: len(server.subjects()) >= MAILS, 20, "the mail was not sent")
            time.sleep(2)  # both keep passing over the schedule every second meanwhile
            for process in processes:
                process.send_signal(signal.SIGTERM)
            codes = [process.wait(timeout=15) for process in processes]
        finally:
            for process in processes:
                if process.poll() is None:
                    process.kill()
    assert codes == [0, 0], [log.read_text()[-2000:] for log in logs]
    for log in logs:
        text = log.read_text()
        assert "SIGTERM received" in text and "scheduler stopped" in text
        assert "Traceback" not in text
    assert sorted(server.subjects()) == expected
    assert unsent() == 0


def test_two_sender_processes_racing_without_the_lease_send_each_mail_once(app, tmp_path):
    expected = queue_mails()
    go = tmp_path / "go"
    with SmtpServer(None, delay=0.01) as server:
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", SENDER, str(go)],
                cwd=ROOT,
                env=environment(app, server, tmp_path / name),
                stdout=subprocess.PIPE,
                text=True,
            )
            for name in "ab"
        ]
        try:
            for process in processes:
                assert process.stdout.readline() == "ready\n"
            go.touch()
            outputs = [process.communicate(timeout=30)[0] for process in processes]
        finally:
            for process in processes:
                if process.poll() is None:
                    process.kill()
    assert [process.returncode for process in processes] == [0, 0]
    assert sum(int(output) for output in outputs) == MAILS
    assert sorted(server.subjects()) == expected
    assert unsent() == 0

"""The jobs, how often each runs, and one pass over them that runs the due ones.

When a job last ran is kept in its lease row (job_leases.last_run_at), so every process
reads the same schedule: with several workers and hosts a job still runs about once per
interval, and never in two processes at once (the lease)."""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from portal.auth.lockout import purge_stale as purge_stale_login_locks
from portal.clock import now
from portal.experts.router import SWEEP_LEASE, SWEEP_LEASE_NAME
from portal.experts.sweep import sweep
from portal.extensions import db
from portal.indexing.outbox import drain
from portal.insights.retention import purge_raw_logs
from portal.insights.rollup import LEASE_NAME as ROLLUP_LEASE_NAME
from portal.insights.rollup import LEASE_TTL as ROLLUP_LEASE_TTL
from portal.insights.rollup import roll_up
from portal.jobs.lease import lease
from portal.models import JobLease
from portal.notify.mailer import send_outbox

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str  # also the name of its lease
    run: Callable[[], object]
    ttl: timedelta  # the lease's: far above a normal run, so a dead holder frees it
    every: timedelta | None = None  # None: on each pass of the schedule


def _sweep() -> None:
    started = time.time()
    report = sweep()
    if report.ran and (report.assigned or report.escalated):
        # Wall-clock bounds: the two-host test checks that runs never overlap.
        logger.info(
            "router: %d assigned, %d escalated (sweep %.3f-%.3f)",
            report.assigned,
            report.escalated,
            started,
            time.time(),
        )


# In this order on each pass: routing first (people wait on it), the purge last. The sweep
# and the rollup take their own leases too (their commands run them alone): same names.
JOBS = (
    Job(SWEEP_LEASE_NAME, _sweep, ttl=SWEEP_LEASE),
    Job("index-drain", drain, ttl=timedelta(minutes=10)),  # what a crashed request left queued
    Job("mail-outbox", send_outbox, ttl=timedelta(minutes=10)),
    Job(ROLLUP_LEASE_NAME, roll_up, ttl=ROLLUP_LEASE_TTL),  # the insight pages read only these
    Job("retention-purge", purge_raw_logs, ttl=timedelta(hours=1), every=timedelta(days=1)),
    Job(
        "login-locks-purge",
        purge_stale_login_locks,
        ttl=timedelta(minutes=10),
        every=timedelta(days=1),
    ),
)


def last_run(name: str) -> datetime | None:
    return db.session.scalar(select(JobLease.last_run_at).where(JobLease.name == name))


def is_due(job: Job, interval: timedelta) -> bool:
    """Due once its period has passed since it last ran. Half an interval of slack: passes
    of two processes fall at different moments, and a job must not slip a whole pass."""
    ran = last_run(job.name)
    return ran is None or now() - ran >= (job.every or interval) - interval / 2


def run_job(job: Job, interval: timedelta) -> bool:
    """Run ``job`` under its lease if it is due; True when it ran to the end here."""
    if not is_due(job, interval):
        return False
    with lease(job.name, job.ttl) as held:
        # Checked again under the lease: another process may have just run it.
        if not held or not is_due(job, interval):
            return False
        started = now()
        try:
            job.run()
        except Exception:  # keep the schedule alive; the next pass retries
            db.session.rollback()
            logger.exception("job %s failed; the next pass retries it", job.name)
            return False
        db.session.execute(
            update(JobLease).where(JobLease.name == job.name).values(last_run_at=started)
        )
        db.session.commit()
        return True


def run_pending(
    interval: timedelta, jobs: tuple[Job, ...] = JOBS, stopping: Callable[[], bool] = lambda: False
) -> list[str]:
    """One pass: run each due job, until ``stopping()`` says to end early (a shutdown ends
    after the job that is running); returns the names of those that ran."""
    ran = []
    for job in jobs:
        if stopping():
            break
        try:
            if run_job(job, interval):
                ran.append(job.name)
        except Exception:  # the database itself failed (lease or schedule row): next pass
            db.session.rollback()
            logger.exception("job %s could not be scheduled", job.name)
    return ran

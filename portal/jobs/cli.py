"""flask jobs run|list: the periodic jobs as a process of their own, or one pass from cron."""

from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup

jobs_cli = AppGroup("jobs", help="Run the periodic jobs (router, index, mail, rollups, purge).")
DEFAULT_INTERVAL = 60


def configured_interval() -> int:
    # PORTAL_JOBS_INTERVAL=0 turns the workers' thread off; this process still runs.
    return current_app.config.get("JOBS_INTERVAL_SECONDS") or DEFAULT_INTERVAL


@jobs_cli.command("run")
@click.option(
    "--interval",
    type=click.IntRange(min=1),
    default=None,
    help="Seconds between passes (default: PORTAL_JOBS_INTERVAL, or 60 if 0).",
)
@click.option("--once", is_flag=True, help="One pass over the due jobs, then exit (cron).")
def run_command(interval: int | None, once: bool):
    """Run the due jobs every interval until stopped (SIGTERM or Ctrl-C ends it cleanly).
    Any number may run, here and beside the web workers: a job runs in one at a time."""
    from portal.jobs.runner import run_in_foreground
    from portal.jobs.schedule import run_pending

    interval = interval or configured_interval()
    if once:
        ran = run_pending(timedelta(seconds=interval))
        click.echo(f"Ran: {', '.join(ran) or 'nothing was due'}.")
        return
    run_in_foreground(current_app._get_current_object(), interval)


@jobs_cli.command("list")
def list_command():
    """Each job, how often it runs, when it last ran and who holds its lease."""
    from portal.extensions import db
    from portal.jobs.schedule import JOBS
    from portal.models import JobLease

    interval = configured_interval()
    for job in JOBS:
        row = db.session.get(JobLease, job.name)
        every = f"{job.every.days}d" if job.every else f"{interval}s"
        last = f"{row.last_run_at:%Y-%m-%d %H:%M:%S} UTC" if row and row.last_run_at else "never"
        click.echo(f"{job.name:<16} every {every:<5} last run {last}")

"""Running the schedule: a pass every interval until stopped, either in a thread of each web
worker (started on its first request, so CLI commands never start it) or as a process of its
own (`flask jobs run`, which stops cleanly on SIGTERM or Ctrl-C)."""

import logging
import signal
import threading
from datetime import timedelta

from flask import Flask

from portal.extensions import db

logger = logging.getLogger(__name__)
_started: set[int] = set()
_lock = threading.Lock()


def run_until_stopped(app: Flask, interval: float, stop: threading.Event) -> None:
    """A pass over the due jobs at once, then one every ``interval`` seconds until ``stop``."""
    from portal.jobs.schedule import run_pending

    period = timedelta(seconds=interval)
    while not stop.is_set():
        with app.app_context():
            try:
                run_pending(period, stopping=stop.is_set)
            finally:
                db.session.remove()
        stop.wait(interval)


def run_in_foreground(app: Flask, interval: float) -> None:
    """`flask jobs run`: the schedule in this process until SIGTERM or SIGINT, which let the
    running job finish and then return."""
    stop = threading.Event()

    def on_signal(signum, _frame):
        logger.info(
            "jobs: %s received, stopping after the running job", signal.Signals(signum).name
        )
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    logger.info("jobs: scheduler started, a pass every %gs", interval)
    try:
        run_until_stopped(app, interval, stop)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    logger.info("jobs: scheduler stopped")


def init_app(app: Flask) -> None:
    """Start the schedule in a thread on this worker's first request, unless it is off
    (PORTAL_JOBS_IN_WORKER=0 or PORTAL_JOBS_INTERVAL=0) or the app is under test."""
    interval = app.config.get("JOBS_INTERVAL_SECONDS", 0)
    if app.testing or not interval or not app.config.get("JOBS_IN_WORKER", True):
        return
    stop = threading.Event()
    app.extensions["jobs_stop"] = stop

    @app.before_request
    def start_jobs_once():
        with _lock:
            if id(app) in _started:
                return
            _started.add(id(app))
        thread = threading.Thread(
            target=run_until_stopped, args=(app, interval, stop), name="portal-jobs", daemon=True
        )
        thread.start()

"""Run the router sweep, pending index and mail work, the insight rollups and the daily
retention purge on a background schedule in the app.

Started on the first request, so CLI commands never start it. Several server processes may
each run one: the sweep's database lease lets only one of them work at a time."""

import logging
import threading
import time

from flask import Flask

logger = logging.getLogger(__name__)
_started: set[int] = set()
_lock = threading.Lock()


def _loop(app: Flask, interval: float, stop: threading.Event) -> None:
    from portal.experts.sweep import sweep
    from portal.extensions import db
    from portal.indexing.outbox import drain
    from portal.insights.retention import purge_raw_logs
    from portal.insights.rollup import roll_up
    from portal.notify.services import send_outbox

    last_purge_day = None

    from portal.clock import now

    while not stop.wait(interval):
        with app.app_context():
            try:
                started = time.time()
                report = sweep()
                if report.ran and (report.assigned or report.escalated):
                    # Wall-clock bounds: the two-host test checks that runs never overlap.
                    logger.info("router: %d assigned, %d escalated (sweep %.3f-%.3f)",
                                report.assigned, report.escalated, started, time.time())
                drain()  # forum changes, votes: anything a crashed request left queued
                send_outbox()
                roll_up()  # the insight pages read only the rollups
                if last_purge_day != now().date():  # retention: once a day
                    purge_raw_logs()
                    last_purge_day = now().date()
            except Exception:  # keep the schedule alive; the next run retries
                db.session.rollback()
                logger.exception("background sweep failed")
            finally:
                db.session.remove()


def init_app(app: Flask) -> None:
    interval = app.config.get("ROUTER_INTERVAL_SECONDS", 0)
    if app.testing or not interval:
        return
    stop = threading.Event()
    app.extensions["router_stop"] = stop

    @app.before_request
    def start_scheduler_once():
        with _lock:
            if id(app) in _started:
                return
            _started.add(id(app))
        thread = threading.Thread(target=_loop, args=(app, interval, stop),
                                  name="router-sweep", daemon=True)
        thread.start()

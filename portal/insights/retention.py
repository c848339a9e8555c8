"""Privacy retention: raw search-log rows older than SEARCH_RETENTION_DAYS are deleted once
the rollups hold their figures. Run daily (the background schedule) or `flask insights purge`."""

import logging
from datetime import datetime, time, timedelta

import click
from flask import current_app
from sqlalchemy import delete, select, update

from portal.clock import now
from portal.extensions import db
from portal.insights.cli import insights_cli
from portal.models import ArticleFeedback, ArticleView, RollupState, SearchClick, SearchLog

logger = logging.getLogger(__name__)

BATCH_SIZE = 5_000  # small transactions: other writers wait at most one batch
ROLLUP_NAME = "search"  # the RollupState row whose watermark says what is rolled up


def purge_cutoff(older_than_days: int | None = None) -> datetime | None:
    """Rows created before this may go: older than the retention AND already rolled up.
    None when nothing has been rolled up yet (then nothing may go).

    "Rolled up" ends at the start of the UTC day holding the watermark, not at the
    watermark itself: each rollup run recomputes that whole day's query and visitor figures
    from the raw rows, so they must still be there."""
    if older_than_days is None:
        older_than_days = current_app.config["SEARCH_RETENTION_DAYS"]
    if older_than_days < 0:
        raise ValueError("older_than_days must not be negative")
    state = db.session.get(RollupState, ROLLUP_NAME)
    if state is None:
        return None
    rolled_up = datetime.combine(state.done_until.date(), time.min)
    return min(now() - timedelta(days=older_than_days), rolled_up)


def purge_raw_logs(older_than_days: int | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Delete rolled-up SearchLog rows older than the retention, with their clicks; views and
    votes that came from those searches stay, without the link. Returns the rows deleted."""
    cutoff = purge_cutoff(older_than_days)
    if cutoff is None:
        return 0
    deleted = 0
    while True:
        # The oldest first, by the created_at index; one batch per transaction.
        ids = list(
            db.session.scalars(
                select(SearchLog.id)
                .where(SearchLog.created_at < cutoff)
                .order_by(SearchLog.created_at, SearchLog.id)
                .limit(batch_size)
            )
        )
        if not ids:
            break
        unsynced = {"synchronize_session": False}
        db.session.execute(
            delete(SearchClick).where(SearchClick.search_id.in_(ids)), execution_options=unsynced
        )
        for model in (ArticleView, ArticleFeedback):
            db.session.execute(
                update(model).where(model.search_id.in_(ids)).values(search_id=None),
                execution_options=unsynced,
            )
        db.session.execute(
            delete(SearchLog).where(SearchLog.id.in_(ids)), execution_options=unsynced
        )
        db.session.commit()
        deleted += len(ids)
    db.session.expire_all()  # loaded objects may point at rows that are gone
    if deleted:
        logger.info("purged %d raw search-log rows created before %s", deleted, cutoff)
    return deleted


@insights_cli.command("purge")
@click.option(
    "--days",
    type=click.IntRange(min=0),
    default=None,
    help="Keep this many days (default: SEARCH_RETENTION_DAYS, 400).",
)
def purge_command(days: int | None):
    """Delete raw search-log rows older than the retention that are already rolled up."""
    cutoff = purge_cutoff(days)
    if cutoff is None:
        click.echo("Nothing rolled up yet: nothing may be purged. Run `flask insights rollup`.")
        return
    deleted = purge_raw_logs(days)
    click.echo(
        f"Deleted {deleted} raw search-log rows created before {cutoff:%Y-%m-%d %H:%M} "
        "UTC (their figures stay in the rollups)."
    )

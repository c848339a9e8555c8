"""`flask insights ...`: the command group of the insights package (rollup here; demo-data
and purge add themselves from their own modules by importing ``insights_cli``)."""

from datetime import datetime, time

import click
from flask.cli import AppGroup
from tqdm import tqdm

insights_cli = AppGroup("insights", help="Roll up the search log and maintain insight data.")


@insights_cli.command("rollup")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Recompute from this UTC day (YYYY-MM-DD) instead of from where the last "
    "run stopped. Days beyond the retention window are never recomputed.",
)
def rollup_command(since: datetime | None):
    """Roll the raw search log up into the hourly and daily figures the pages read."""
    from portal.insights.rollup import pending_hours, roll_up

    start = datetime.combine(since.date(), time.min) if since else None
    with tqdm(total=pending_hours(since=start), unit="hour", desc="rollup") as bar:
        hours = roll_up(since=start, progress=bar.update)
    if hours:
        click.echo(f"Rolled up {hours} hours.")
    else:
        click.echo("Nothing to roll up (no searches yet, or another rollup is running).")

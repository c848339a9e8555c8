"""flask experts sweep: route and escalate questions (safe every minute from cron)."""

import click
from flask.cli import AppGroup

experts_cli = AppGroup("experts", help="Route unanswered questions to experts.")


@experts_cli.command("sweep")
def sweep_command():
    """Escalate overdue assignments and route questions that need an expert."""
    from portal.experts.sweep import sweep

    report = sweep()
    if not report.ran:
        click.echo("Another sweep is running; nothing done.")
        return
    click.echo(
        f"Assigned {report.assigned}, escalated {report.escalated}, unrouted {report.unrouted}."
    )

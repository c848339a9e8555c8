"""Command-line tools: flask users|kb|search ...

All honour PORTAL_DATA_DIR and PORTAL_DATABASE_URL, like the app itself."""

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from tqdm import tqdm

from portal.auth.services import AccountError, create_user, find_user, generate_password
from portal.extensions import db
from portal.models import ROLES

users_cli = AppGroup("users", help="Manage user accounts.")
kb_cli = AppGroup("kb", help="Import and export knowledge-base articles.")
search_cli = AppGroup("search", help="Maintain the search index.")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), default="customer", show_default=True)
@click.option("--name", default="", help="Display name.")
@click.option("--password", default=None, help="Password (generated and printed if omitted).")
def users_create(email: str, role: str, name: str, password: str | None):
    """Create an account."""
    generated = password is None
    password = password or generate_password()
    try:
        user = create_user(email, password, name, role=role)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {user.email} ({user.role}).")
    if generated:
        user.must_change_password = True  # printed on a console: asked for at first login
        db.session.commit()
        click.echo(f"One-time password: {password}  (to be changed at first login)")


@users_cli.command("ensure-admin")
def users_ensure_admin():
    """Create the first admin if there is none (PORTAL_ADMIN_EMAIL / PORTAL_ADMIN_PASSWORD)."""
    from sqlalchemy import select

    from portal.models import User

    if db.session.scalar(select(User).where(User.role == "admin")) is not None:
        click.echo("An admin account exists; nothing to do.")
        return
    email = current_app.config["ADMIN_EMAIL"]
    password = current_app.config["ADMIN_PASSWORD"] or generate_password()
    if find_user(email) is not None:
        raise click.ClickException(f"{email} exists but is not an admin; use the admin pages.")
    try:
        admin = create_user(email, password, "Admin", role="admin")
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created admin {email}.")
    if not current_app.config["ADMIN_PASSWORD"]:
        # A password printed on a console is nobody's own: asked for at first login.
        admin.must_change_password = True
        db.session.commit()
        click.secho(
            f"One-time admin password: {password}  (to be changed at first login)",
            fg="yellow",
            bold=True,
        )


@kb_cli.command("import")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--plain-markdown",
    is_flag=True,
    help="Also import files without front matter (title from the first heading).",
)
@click.option(
    "--force", is_flag=True, help="Overwrite articles edited on the web since their last import."
)
def kb_import(directory: Path, plain_markdown: bool, force: bool):
    """Upsert every Markdown article under DIRECTORY by slug; articles edited on the web
    since their last import are skipped unless --force."""
    from portal.kb.importer import import_directory, markdown_files

    total = len(markdown_files(directory))
    with tqdm(total=total, unit="file", desc="import", disable=False) as bar:
        report = import_directory(
            directory, progress=bar.update, allow_plain=plain_markdown, force=force
        )
    click.echo(
        f"Imported {directory}: {report.created} new, {report.updated} updated, "
        f"{report.unchanged} unchanged, {len(report.skipped)} skipped, "
        f"{len(report.errors)} errors."
    )
    for name in report.skipped:
        click.echo(f"  skipped: edited on the web: {name} (--force overwrites)")
    for error in report.errors:
        click.echo(f"  error: {error}", err=True)
    if report.errors:
        raise SystemExit(1)


@kb_cli.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def kb_export(directory: Path):
    """Write every article to DIRECTORY in the import format."""
    from sqlalchemy import func, select

    from portal.kb.exporter import export_directory
    from portal.models import Article

    total = db.session.scalar(select(func.count()).select_from(Article))
    with tqdm(total=total, unit="article", desc="export", disable=False) as bar:
        count = export_directory(directory, progress=bar.update)
    click.echo(f"Exported {count} articles to {directory}.")


@search_cli.command("reindex")
@click.option("--if-missing", is_flag=True, help="Only build when the index is empty or absent.")
def search_reindex(if_missing: bool):
    """Rebuild the whole search index from the database."""
    from portal.indexing.backend import get_backend
    from portal.indexing.outbox import drain, reindex_all, total_documents

    if if_missing and get_backend().document_count() > 0:
        applied = drain()
        click.echo(f"Index present; applied {applied} pending changes.")
        return
    with tqdm(total=total_documents(), unit="doc", desc="reindex", disable=False) as bar:
        count = reindex_all(progress=bar.update)
    click.echo(f"Indexed {count} documents.")


def _outbox_is_empty() -> bool:
    """Whether no index task waits, asked of the outbox table itself: the first ORM query
    of a process configures every mapper of the app (~0.1 s CPU), which a cron drain that
    finds nothing to do never needs."""
    from sqlalchemy import select

    from portal.models import IndexTask

    tasks = IndexTask.__table__
    return db.session.execute(select(tasks.c.id).limit(1)).first() is None


@search_cli.command("drain")
def search_drain():
    """Apply pending index changes from the outbox (safe to run from cron)."""
    from portal.indexing.outbox import drain

    click.echo(f"Applied {0 if _outbox_is_empty() else drain()} pending changes.")


def init_app(app: Flask) -> None:
    from portal.backup.cli import backup_cli
    from portal.demo import demo_cli
    from portal.experts.cli import experts_cli
    from portal.insights import demo, retention  # noqa: F401  (they add their commands)
    from portal.insights.cli import insights_cli
    from portal.jobs.cli import jobs_cli

    for group in (
        users_cli,
        kb_cli,
        search_cli,
        experts_cli,
        demo_cli,
        insights_cli,
        backup_cli,
        jobs_cli,
    ):
        app.cli.add_command(group)

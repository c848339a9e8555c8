"""`flask backup create|restore`: thin wrappers around portal.backup.services."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from tqdm import tqdm

from portal.backup.services import (
    BackupError,
    ConfirmationNeeded,
    create_backup,
    restore_backup,
)

backup_cli = AppGroup("backup", help="Back up and restore the database and uploaded files.")

UNITS = {"uploads": "file", "verify": "file", "reindex": "doc"}


def _bar(description: str, total: int | None) -> tqdm:
    return tqdm(total=total, desc=description, unit=UNITS.get(description, "item"))


@backup_cli.command("create")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Archive to write [default: DATA_DIR/backups/portal-YYYYmmdd-HHMMSS.tar.gz].",
)
def backup_create(out: Path | None):
    """Write a consistent copy of the database and the upload files (safe while serving)."""
    try:
        report = create_backup(current_app._get_current_object(), out, progress=_bar)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    for warning in report.warnings:
        click.secho(f"warning: {warning}", fg="yellow", err=True)
    manifest = report.manifest
    counts = ", ".join(f"{n} {name}" for name, n in manifest["counts"].items())
    click.echo(
        f"Backup written to {report.path} ({report.path.stat().st_size:,} bytes): "
        f"{manifest['dialect']} database at revision {manifest['alembic_revision']} "
        f"({counts}), {len(manifest['uploads'])} upload files."
    )


@backup_cli.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Overwrite a database that already has data.")
def backup_restore(path: Path, yes: bool):
    """Replace the database and upload files with the backup at PATH, then migrate the
    database to the current schema and rebuild the search index. Stop the app first."""
    try:
        report = restore_backup(
            current_app._get_current_object(), path, confirmed=yes, progress=_bar
        )
    except ConfirmationNeeded as error:
        click.secho(str(error), fg="red", err=True)
        raise SystemExit(1) from None
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    manifest = report.manifest
    click.echo(
        f"Verified {path}: taken {manifest['created_at']} by portal "
        f"{manifest['app_version']}, every checksum matches."
    )
    click.echo(
        f"Restored the {manifest['dialect']} database (revision "
        f"{manifest['alembic_revision']}) and {report.uploads} upload files."
    )
    click.echo(f"Migrated the database to {report.revision}.")
    click.echo(f"Rebuilt the search index: {report.documents} documents.")

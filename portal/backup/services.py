"""Create and restore backups: plain functions taking the app, used by `flask backup`.

A backup is taken online: the database is copied in one consistent snapshot (sqlite.py,
postgres.py) and the upload files the snapshot refers to are added to the same archive.
The search index is not backed up; it is derived, and restore rebuilds it."""

import logging
import secrets
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import Connection, Engine, func, inspect, literal, select, table, text

from portal.backup import archive, postgres, sqlite
from portal.backup.archive import BackupError
from portal.downloads.storage import stored_path
from portal.extensions import db
from portal.models import ArticleImage, DownloadFile

logger = logging.getLogger(__name__)

DIALECTS: dict[str, ModuleType] = {"sqlite": sqlite, "postgresql": postgres}
# Counted in the manifest, and what "the target database has data" looks at.
MAIN_TABLES = ("users", "categories", "articles", "topics", "posts", "products", "download_files")
# progress(description, total) -> a context manager whose value has update(n): tqdm fits.
Progress = Callable[[str, int | None], AbstractContextManager[Any]]


class ConfirmationNeeded(BackupError):
    """Restoring would overwrite a database that has data, and --yes was not given."""


@dataclass
class BackupReport:
    path: Path
    manifest: dict
    warnings: list[str] = field(default_factory=list)


@dataclass
class RestoreReport:
    manifest: dict
    uploads: int
    revision: str | None
    documents: int


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass


def no_progress(_description: str, _total: int | None) -> AbstractContextManager[Any]:
    return nullcontext(_NoBar())


def _dialect(engine: Engine) -> ModuleType:
    try:
        return DIALECTS[engine.dialect.name]
    except KeyError:
        raise BackupError(
            f"Backups support SQLite and PostgreSQL, not {engine.dialect.name}."
        ) from None


@contextmanager
def _app_context(app: Flask) -> Iterator[None]:
    """The caller's context when it is ``app``'s (the CLI's), so restore also clears the
    caller's session: its objects and open transaction belong to the replaced database."""
    if has_app_context() and current_app._get_current_object() is app:
        yield
    else:
        with app.app_context():
            yield


def _tools(app: Flask) -> dict[str, str]:
    return {"pg_dump": app.config["PG_DUMP_PATH"], "pg_restore": app.config["PG_RESTORE_PATH"]}


def default_path(data_dir: Path, created: datetime) -> Path:
    """<DATA_DIR>/backups/portal-YYYYmmdd-HHMMSS.tar.gz, with a suffix if that exists."""
    folder = data_dir / "backups"
    path = folder / f"portal-{created:%Y%m%d-%H%M%S}.tar.gz"
    number = 1
    while path.exists():
        number += 1
        path = folder / f"portal-{created:%Y%m%d-%H%M%S}-{number}.tar.gz"
    return path


@dataclass
class _Contents:
    tables: list[str]
    revision: str | None
    counts: dict[str, int]
    files: list[Any]


def _read_contents(conn: Connection) -> _Contents:
    tables = sorted(inspect(conn).get_table_names())
    revision = (
        conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        if "alembic_version" in tables
        else None
    )
    counts = {
        name: conn.execute(select(func.count()).select_from(table(name))).scalar_one()
        for name in MAIN_TABLES
        if name in tables
    }
    files = []
    for model in (DownloadFile, ArticleImage):  # every table whose rows name an upload file
        if model.__tablename__ in tables:
            columns = model.__table__.c
            files += conn.execute(
                select(columns.id, columns.stored_name, columns.original_name, columns.sha256)
            ).all()
    files.sort(key=lambda row: row.stored_name)
    return _Contents(tables, revision, counts, files)


def create_backup(
    app: Flask, out: Path | None = None, progress: Progress = no_progress
) -> BackupReport:
    """Write a backup archive of the database and the upload files; return where and what.

    The archive is written under a temporary name beside ``out`` and renamed when complete,
    so a backup interrupted half-way never looks like a good one."""
    created = datetime.now().astimezone().replace(microsecond=0)
    out = Path(out) if out else default_path(Path(app.config["DATA_DIR"]), created)
    out.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    upload_dir = app.config["UPLOAD_DIR"]
    with _app_context(app):
        engine = db.engine
        dialect = _dialect(engine)
        with tempfile.TemporaryDirectory(dir=out.parent, prefix=".backup-") as work:
            with dialect.snapshot(engine, Path(work), **_tools(app)) as (conn, dump):
                contents = _read_contents(conn)
            partial = Path(work) / "partial.tar.gz"
            warnings: list[str] = []
            with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
                with Path(dump).open("rb") as source:
                    digest = archive.add_file(tar, f"{archive.DATABASE_DIR}/{dump.name}", source)
                with progress("uploads", len(contents.files)) as bar:
                    uploads = _add_uploads(tar, upload_dir, contents.files, warnings, bar)
                manifest = {
                    "format": archive.FORMAT_VERSION,
                    "created_at": created.isoformat(),
                    "app_version": metadata.version("qinghe-portal"),
                    "dialect": engine.dialect.name,
                    "alembic_revision": contents.revision,
                    "database": {"file": dump.name, "size": digest.size, "sha256": digest.sha256},
                    "counts": contents.counts,
                    "tables": contents.tables,
                    "uploads": uploads,
                    "warnings": warnings,
                }
                archive.add_manifest(tar, manifest)
            partial.chmod(0o600)  # password hashes and customer data
            partial.replace(out)
    logger.info(
        "backup written to %s (%d upload files, %d warnings)", out, len(uploads), len(warnings)
    )
    return BackupReport(out, manifest, warnings)


def _add_uploads(
    tar: tarfile.TarFile, upload_dir: str, files: list, warnings: list[str], bar: Any
) -> list[dict]:
    """Add every file the snapshot's rows refer to. A file uploaded after the snapshot is not
    in the rows, so it is not needed; a row whose file is gone is reported, not fatal."""
    added = []
    for row in files:
        try:
            source = Path(stored_path(upload_dir, row.stored_name)).open("rb")  # noqa: SIM115 (closed below)
        except (FileNotFoundError, ValueError):
            warnings.append(
                f"download file {row.id} ({row.original_name}): stored file "
                f"{row.stored_name} is missing; not in the backup"
            )
            bar.update(1)
            continue
        with source:
            digest = archive.add_file(tar, f"{archive.UPLOADS_DIR}/{row.stored_name}", source)
        if digest.sha256 != row.sha256:
            warnings.append(
                f"download file {row.id} ({row.original_name}): the file on disk "
                "differs from the checksum recorded at upload"
            )
        added.append(
            {
                "name": row.stored_name,
                "size": digest.size,
                "sha256": digest.sha256,
                "original_name": row.original_name,
            }
        )
        bar.update(1)
    return added


def target_has_data(engine: Engine) -> bool:
    """Whether any of the main tables of the configured database holds a row."""
    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        return any(
            conn.execute(select(literal(1)).select_from(table(name)).limit(1)).first()
            for name in MAIN_TABLES
            if name in tables
        )


def _check_compatible(app: Flask, manifest: dict, engine: Engine) -> None:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    if manifest["dialect"] != engine.dialect.name:
        raise BackupError(
            f"This backup holds a {manifest['dialect']} database; the "
            f"configured database is {engine.dialect.name}. Restore it into "
            f"a {manifest['dialect']} database."
        )
    if manifest["database"]["file"] != _dialect(engine).DUMP_NAME:
        raise BackupError("The manifest names an unexpected database file.")
    scripts = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
    try:
        known = scripts.get_revision(manifest["alembic_revision"]) is not None
    except CommandError:
        known = False
    if not known:
        raise BackupError(
            f"The backup's schema revision {manifest['alembic_revision']!r} is "
            "unknown to this version of the portal (a backup from a newer "
            "version?)."
        )


def restore_backup(
    app: Flask, path: Path, confirmed: bool = False, progress: Progress = no_progress
) -> RestoreReport:
    """Replace the database and the upload files with the backup at ``path``, migrate the
    database to the current schema and rebuild the search index.

    The archive is extracted and every checksum verified first: a damaged archive raises
    BackupError with nothing changed. Run it with the app stopped."""
    from flask_migrate import upgrade

    from portal.indexing.outbox import reindex_all, total_documents
    from portal.search_tuning.loader import forget_loaded_version

    upload_dir = Path(app.config["UPLOAD_DIR"]).resolve()
    with _app_context(app):
        engine = db.engine
        dialect = _dialect(engine)
        if not confirmed and target_has_data(engine):
            raise ConfirmationNeeded(
                f"The database {engine.url.render_as_string()} has data "
                "that the restore would replace. Run again with --yes "
                "to overwrite it."
            )
        upload_dir.parent.mkdir(parents=True, exist_ok=True)
        # Staged beside the upload directory, so it moves into place with a rename.
        staging = Path(tempfile.mkdtemp(dir=upload_dir.parent, prefix=".restore-"))
        try:
            try:
                manifest, dump = _extract_verified(app, Path(path), staging, engine, progress)
            except BackupError as error:
                raise BackupError(f"{error} Nothing was changed.") from None
            db.session.remove()
            dialect.restore_dump(engine, dump, manifest["tables"], **_tools(app))
            _replace_uploads(staging / archive.UPLOADS_DIR, upload_dir)
            upgrade()
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        db.session.remove()
        forget_loaded_version()  # the restored synonyms, not this process's, go in the index
        with progress("reindex", total_documents()) as bar:
            documents = reindex_all(progress=bar.update)
        revision = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    logger.info("restored %s (revision %s, now %s)", path, manifest["alembic_revision"], revision)
    return RestoreReport(manifest, len(manifest["uploads"]), revision, documents)


def _extract_verified(
    app: Flask, path: Path, staging: Path, engine: Engine, progress: Progress
) -> tuple[dict, Path]:
    """Extract the archive into ``staging`` and check everything it holds; changes nothing
    else. Returns the manifest and the staged database dump."""
    with progress("verify", None) as bar:
        manifest, digests = archive.extract(
            path, staging, tuple(d.DUMP_NAME for d in DIALECTS.values()), bar.update
        )
    _check_compatible(app, manifest, engine)
    archive.verify(manifest, digests)
    dump = staging / archive.DATABASE_DIR / manifest["database"]["file"]
    _dialect(engine).verify_dump(dump, **_tools(app))
    return manifest, dump


def _replace_uploads(staged: Path, upload_dir: Path) -> None:
    """Swap the staged upload files in for the current directory (two renames)."""
    staged.mkdir(exist_ok=True)  # a backup without files restores an empty directory
    previous = None
    if upload_dir.exists():
        previous = upload_dir.with_name(f".{upload_dir.name}-replaced-{secrets.token_hex(4)}")
        upload_dir.replace(previous)
    staged.replace(upload_dir)
    if previous is not None:
        shutil.rmtree(previous, ignore_errors=True)

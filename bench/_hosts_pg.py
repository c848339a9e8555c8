"""The benchmark corpus in PostgreSQL: the SQLite corpus database copied row by row into a
migrated PostgreSQL database, as a site moving to several hosts would do once."""

from pathlib import Path

from sqlalchemy import Engine, create_engine, delete, func, inspect, select, text
from sqlalchemy.engine import make_url

CHUNK = 1000


def psycopg_url(url: str) -> str:
    """``url`` with the psycopg (3) driver: a bare postgresql:// would ask for psycopg2."""
    return make_url(url).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def migrate(url: str, data_dir: Path) -> None:
    """Run the Alembic migrations on ``url`` (an empty database)."""
    from flask_migrate import upgrade

    from bench._common import bench_app
    from portal.extensions import db

    app = bench_app(
        data_dir, SQLALCHEMY_DATABASE_URI=url, SEARCH_BACKEND="postgres", SECRET_KEY="bench-migrate"
    )
    with app.app_context():
        upgrade()
        db.session.remove()
        db.engine.dispose()


def _reset_sequences(target: Engine, tables: list) -> None:
    """Point every serial primary key's sequence past the copied ids, or the next INSERT
    (the editor's article in the freshness check) would collide with row 1."""
    with target.begin() as connection:
        for table in tables:
            for column in table.primary_key.columns:
                sequence = connection.scalar(
                    text("SELECT pg_get_serial_sequence(:t, :c)"),
                    {"t": table.name, "c": column.name},
                )
                if sequence is None:
                    continue
                highest = connection.scalar(select(func.max(column)))
                connection.execute(
                    text("SELECT setval(:s, :v, :called)"),
                    {"s": sequence, "v": highest or 1, "called": highest is not None},
                )


def copy_rows(sqlite_file: Path, url: str, progress: bool = True) -> int:
    """Copy every table of the models from ``sqlite_file`` into the migrated database at
    ``url`` (replacing the rows migrations seeded), parents before children; returns the
    rows copied."""
    from tqdm import tqdm

    import portal.models  # noqa: F401  (registers every table on db.metadata)
    from portal.extensions import db

    source = create_engine(f"sqlite:///{sqlite_file}")
    target = create_engine(url)
    inspector = inspect(source)
    tables = [t for t in db.metadata.sorted_tables if inspector.has_table(t.name)]
    copied = 0
    try:
        with source.connect() as reader:
            total = sum(reader.scalar(select(func.count()).select_from(t)) for t in tables)
            with (
                target.begin() as writer,
                tqdm(total=total, desc="copy to PG", unit="row", disable=not progress) as bar,
            ):
                for table in reversed(tables):
                    writer.execute(delete(table))
                for table in tables:
                    # Only columns the SQLite file has: a corpus built before a migration
                    # that added nullable columns still copies.
                    present = {c["name"] for c in inspector.get_columns(table.name)}
                    columns = [c for c in table.columns if c.name in present]
                    # In id order: a row referring to another row of its table (a
                    # category's parent) comes after it, so each foreign key already holds.
                    result = reader.execute(select(*columns).order_by(*table.primary_key.columns))
                    while rows := result.fetchmany(CHUNK):
                        writer.execute(table.insert(), [row._asdict() for row in rows])
                        copied += len(rows)
                        bar.update(len(rows))
        _reset_sequences(target, tables)
    finally:
        source.dispose()
        target.dispose()
    return copied

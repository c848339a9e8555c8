"""The models and the migrations agree: a database built by every migration has exactly the
tables, columns, indexes and constraints the models declare (what `flask db check` checks),
on SQLite and, in the PostgreSQL pass, on PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portal.extensions import db


def test_the_migrated_database_matches_the_models(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert len(db.metadata.tables) > 20  # the models were loaded, so the check compares
    assert differences == [], "\n".join(map(str, differences))

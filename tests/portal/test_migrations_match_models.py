"""The models and the migrations agree: a database built by every migration has exactly the
tables, columns, indexes and constraints the models declare (what `flask db check` checks),
on SQLite and, in the PostgreSQL pass, on PostgreSQL, where the search engine's own table
shares the database (the template holds it) and must not look like a table to drop."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import current_app

from portal.extensions import db


def test_the_migrated_database_matches_the_models(app):
    with db.engine.connect() as connection:
        # What `flask db check` compares with: the app's Alembic options.
        include = current_app.extensions["migrate"].configure_args["include_object"]
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include}
        )
        differences = compare_metadata(context, db.metadata)
    assert len(db.metadata.tables) > 20  # the models were loaded, so the check compares
    assert differences == [], "\n".join(map(str, differences))

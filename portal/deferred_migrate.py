"""Flask-Migrate, imported when first used.

Importing flask_migrate imports Alembic: about a third of a second of CPU that every process
and CLI command paid at start-up, while only `flask db ...`, backup restore and the tests'
schema set-up use it. DeferredMigrate.init_app() puts two stand-ins in the app: the `db`
command group and ``app.extensions["migrate"]``. The first use of either runs the real
``Migrate().init_app()`` with the same arguments, which replaces both."""

import logging
import threading
from contextlib import contextmanager

import click
from flask import Flask

_lock = threading.Lock()


class DeferredMigrate:
    """Takes the arguments of ``flask_migrate.Migrate.init_app`` and defers the call."""

    def init_app(self, app: Flask, db, **kwargs) -> None:
        def load():
            return _load(app, db, kwargs)

        app.extensions["migrate"] = _PendingConfig(load)
        app.cli.add_command(_PendingCommand(load), "db")


def _load(app: Flask, db, kwargs: dict):
    """The real ``app.extensions["migrate"]``, set up on the first call."""
    with _lock:
        if isinstance(app.extensions.get("migrate"), _PendingConfig):
            with _quiet(logging.getLogger("alembic.runtime.plugins")):
                from flask_migrate import Migrate

            Migrate().init_app(app, db, **kwargs)
    return app.extensions["migrate"]


@contextmanager
def _quiet(logger: logging.Logger):
    """Alembic logs "setup plugin ..." at INFO while it is imported. Imported before
    create_app() configured logging, those lines were never shown; keep it so."""
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


class _PendingConfig:
    """Stands in ``app.extensions["migrate"]``; any attribute read sets up the real one."""

    def __init__(self, load):
        self._load = load

    def __getattr__(self, name: str):
        return getattr(self._load(), name)


class _PendingCommand(click.Command):
    """Stands in the `db` group: parsing its arguments hands them to the real group."""

    def __init__(self, load):
        super().__init__("db")
        self._load = load

    def _real(self) -> click.Command:
        self._load()
        from flask_migrate.cli import db as db_group

        return db_group

    def make_context(self, info_name, args, parent=None, **extra) -> click.Context:
        # The context belongs to the real group, so click invokes that one.
        return self._real().make_context(info_name, args, parent=parent, **extra)

    def get_short_help_str(self, limit: int = 45) -> str:
        return self._real().get_short_help_str(limit)

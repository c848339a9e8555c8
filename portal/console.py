"""The `qinghe` command (pyproject's [project.scripts]): `qinghe users create ...` does what
`flask --app wsgi users create ...` does, from any directory, for an installed portal."""

from flask import Flask
from flask.cli import FlaskGroup


def _create_app() -> Flask:
    """The app as wsgi.py builds it: a bad setting is one line, not a traceback."""
    from portal import create_app
    from portal.config import ConfigError

    try:
        return create_app()
    except ConfigError as error:
        raise SystemExit(f"Error: {error}") from None


def main() -> None:
    FlaskGroup(
        name="qinghe",
        create_app=_create_app,
        help="Manage the Qinghe portal (the same commands as `flask --app wsgi`).",
    )()

"""NUL characters never reach the database: PostgreSQL text cannot hold them (the insert
fails), SQLite can. Stripping them where statements are executed gives both databases the same
behaviour for every form, query string and import, instead of a 500 on one of them."""

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


def _clean(value: Any) -> Any:
    if isinstance(value, str) and "\x00" in value:
        return value.replace("\x00", "")
    return value


def _clean_parameters(parameters: Any) -> Any:
    if isinstance(parameters, dict):
        return {key: _clean(value) for key, value in parameters.items()}
    if isinstance(parameters, list | tuple):
        cleaned = [
            _clean_parameters(item) if isinstance(item, dict | list | tuple) else _clean(item)
            for item in parameters
        ]
        return type(parameters)(cleaned) if isinstance(parameters, tuple) else cleaned
    return parameters


def _before_execute(conn, cursor, statement, parameters, context, executemany):
    return statement, _clean_parameters(parameters)


def install(engine: Engine) -> None:
    """Strip NUL from every string parameter ``engine`` sends (idempotent)."""
    if not event.contains(engine, "before_cursor_execute", _before_execute):
        event.listen(engine, "before_cursor_execute", _before_execute, retval=True)

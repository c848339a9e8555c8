"""WSGI entry point: `flask --app wsgi ...`, `gunicorn wsgi:app`."""

from portal import create_app
from portal.config import ConfigError

try:
    app = create_app()
except ConfigError as error:
    # One clear line instead of a traceback: the message says what to change.
    raise SystemExit(f"Error: {error}") from None

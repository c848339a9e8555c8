"""psycopg and redis are extras: a setting that needs a missing one stops the app at start
with the pip command that installs it, never a traceback. A missing package is simulated
by a None entry in sys.modules, which makes Python treat it as not installed."""

import subprocess
import sys
from pathlib import Path

import pytest

from portal import create_app
from portal.config import ConfigError
from tests import ROOT
from tests.conftest import _app_config

# The checkout: the folder with pyproject.toml, wherever tests/ groups this file.
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/portal_never_connected"


@pytest.mark.parametrize(
    ("setting", "missing", "message"),
    [
        (
            {"SQLALCHEMY_DATABASE_URI": PG_URL},
            "psycopg",
            "PORTAL_DATABASE_URL needs the PostgreSQL driver (psycopg), which is not installed: "
            "pip install 'qinghe-portal[postgres]'",
        ),
        (
            {"SEARCH_BACKEND": "postgres", "SEARCH_DATABASE_URL": PG_URL},
            "psycopg",
            "PORTAL_SEARCH_BACKEND=postgres needs the PostgreSQL driver (psycopg), which is not "
            "installed: pip install 'qinghe-portal[postgres]'",
        ),
        (
            {"REDIS_URL": "redis://127.0.0.1:6379/0"},
            "redis",
            "PORTAL_REDIS_URL needs the Redis client (redis), which is not installed: "
            "pip install 'qinghe-portal[redis]'",
        ),
        (
            {"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"},
            "redis",
            "pip install 'qinghe-portal[redis]'",
        ),
    ],
)
def test_a_setting_whose_package_is_missing_stops_the_app_naming_the_extra(
    tmp_path, monkeypatch, setting, missing, message
):
    monkeypatch.setitem(sys.modules, missing, None)
    with pytest.raises(ConfigError) as error:
        create_app({**_app_config(tmp_path), **setting})
    assert message in str(error.value)


def test_the_default_setup_needs_neither_extra(tmp_path, monkeypatch):
    """SQLite, the embedded search engine and in-process rate limits: no psycopg, no redis."""
    for module in ("psycopg", "redis"):
        monkeypatch.setitem(sys.modules, module, None)
    config = {
        **_app_config(tmp_path),
        "SEARCH_BACKEND": "tantivy",
        "REDIS_URL": "",
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    assert create_app(config).name == "portal"


# Hides psycopg from the whole process, as in an install without the postgres extra.
HIDE_PSYCOPG = "import sys\nsys.modules['psycopg'] = None\n"


def test_the_flask_cli_prints_one_line_and_no_traceback(tmp_path):
    (tmp_path / "sitecustomize.py").write_text(HIDE_PSYCOPG)
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(tmp_path),
        "PORTAL_DATA_DIR": str(tmp_path / "data"),
        "PORTAL_DATABASE_URL": PG_URL,
    }
    result = subprocess.run(
        [str(Path(sys.executable).with_name("flask")), "--app", "wsgi", "db", "current"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "Error: PORTAL_DATABASE_URL needs the PostgreSQL driver (psycopg), which is not "
        "installed: pip install 'qinghe-portal[postgres]'"
    )

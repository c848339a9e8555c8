"""Start-up stays light: heavy libraries are imported when first used, not by create_app()."""

import subprocess
import sys
from pathlib import Path

from flask_migrate.cli import db as migrate_db_group

from tests import ROOT
from tests.process_support import environment_without, run_python

# Each costs a tenth of a second to a second of CPU to import; none is needed to start the
# app or to run a command that has nothing to do. (search.analyzer imports Whoosh's small
# stemmer module, so the Whoosh engine modules are named, not the package.)
HEAVY = (
    "matplotlib",
    "numpy",
    "pypinyin",
    "opencc",
    "rjieba",
    "jieba",
    "alembic",
    "flask_migrate",
    "psycopg",
    "playwright",
    "tantivy",
    "whoosh.index",
    "whoosh.searching",
    "search.whoosh.backend",
    "search.postgres.backend",
    "search.tantivy",
    "zxcvbn",
)

# create_app() and `flask search drain` with nothing queued, then the heavy modules loaded
# and whether the ORM configured its mappers (~0.1 s CPU, needless for an empty outbox).
SCRIPT = """
import sys
from sqlalchemy import inspect
from portal import create_app
from portal.extensions import db
from portal.models import IndexTask

data_dir, heavy = sys.argv[1], sys.argv[2:]
app = create_app({"DATA_DIR": data_dir, "SECRET_KEY": "test-secret", "TESTING": True,
                  "SQLALCHEMY_DATABASE_URI": f"sqlite:///{data_dir}/portal.db"})
with app.app_context():
    db.create_all()
result = app.test_cli_runner().invoke(args=["search", "drain"])
assert result.output == "Applied 0 pending changes.\\n", result.output
print(inspect(IndexTask).configured)
print(sorted(name for name in heavy if name in sys.modules))
"""


# The scripts run with the defaults only: a PORTAL_* variable of this test run (another
# database, search backend) must not apply.


def test_app_and_a_no_op_command_import_no_heavy_module(tmp_path):
    """create_app() plus a drain with an empty outbox loads no heavy library and leaves
    the ORM's mappers unconfigured."""
    completed = run_python(SCRIPT, str(tmp_path), *HEAVY, drop_env_prefix="PORTAL_")
    assert completed.stdout.strip().splitlines()[-2:] == ["False", "[]"]


def test_db_commands_and_the_migrate_extension_set_up_flask_migrate_when_used(app):
    """`flask db ...` and app.extensions["migrate"] work as with Flask-Migrate itself."""
    runner = app.test_cli_runner()
    unknown = runner.invoke(args=["db", "no-such-command"])
    assert unknown.exit_code == 2 and "No such command 'no-such-command'" in unknown.output
    result = runner.invoke(args=["db", "heads"])
    assert result.exit_code == 0, result.output
    assert app.cli.commands["db"] is migrate_db_group
    config = app.extensions["migrate"]
    assert config.db is not None and config.migrate.directory.endswith("migrations")


# Pages served, then one chart drawn: no plotting library is loaded at all (the charts are
# SVG written by portal/insights/charts.py).
CHART_SCRIPT = """
import sys
from portal import create_app
from portal.extensions import db
from portal.insights.charts import searches_by_hour_chart
from portal.insights.query_reports import HourlySeries

data_dir = sys.argv[1]
app = create_app({"DATA_DIR": data_dir, "SECRET_KEY": "test-secret", "TESTING": True,
                  "SQLALCHEMY_DATABASE_URI": f"sqlite:///{data_dir}/portal.db"})
with app.app_context():
    db.create_all()
client = app.test_client()
assert [client.get(url).status_code for url in ("/", "/forum/", "/login")] == [200, 200, 200]
before = "matplotlib" in sys.modules
with app.test_request_context():
    svg = searches_by_hour_chart(HourlySeries("Asia/Shanghai", [1] * 24, [0] * 24))
print(before, "matplotlib" in sys.modules, "<svg" in svg)
"""


def test_a_chart_is_drawn_without_loading_a_plotting_library(tmp_path):
    completed = run_python(CHART_SCRIPT, str(tmp_path), drop_env_prefix="PORTAL_")
    assert completed.stdout.split() == ["False", "False", "True"]


def test_the_qinghe_command_is_flask_with_the_portal_app(tmp_path):
    """`qinghe --help` (pyproject's [project.scripts]; `pip install -e .` puts it in the
    venv) lists the portal's own commands beside Flask's."""
    script = Path(sys.executable).parent / "qinghe"
    assert script.exists(), "run `pip install -e .` to install the qinghe command"
    env = environment_without("PORTAL_")
    env |= {"PYTHONPATH": str(ROOT), "PORTAL_DATA_DIR": str(tmp_path)}  # this tree's code
    completed = subprocess.run(
        [str(script), "--help"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    commands = {
        line.split()[0]
        for line in completed.stdout.split("Commands:")[1].splitlines()
        if line.strip()
    }
    assert {"users", "search", "kb", "db", "routes", "shell"} <= commands
    assert completed.stdout.startswith("Usage: qinghe")

"""Where the portal finds the folders it ships: templates/, static/ and migrations/.

They sit at the top of a source checkout, beside the package (`make run`, the tests, an
editable install read them there), and inside the package once installed from a wheel
(setup.py copies them in at build time). This module imports nothing but pathlib: setup.py
reads SHIPPED_DIRS from it without importing the app."""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# The top of a source checkout (kb_articles/ lives there too).
ROOT = PACKAGE_DIR.parent
SHIPPED_DIRS = ("templates", "static", "migrations")


def shipped_dir(name: str) -> Path:
    """The folder ``name`` (one of SHIPPED_DIRS): the installed package's copy when there is
    one, else the checkout's. Inside first: a site-packages/templates of another
    distribution must never be taken for ours."""
    inside = PACKAGE_DIR / name
    return inside if inside.is_dir() else ROOT / name

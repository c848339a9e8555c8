"""One build step beyond pyproject.toml: the wheel carries what sits beside the package.

templates/, static/ and migrations/ stay at the top of the tree, where `make run` and the
tests use them; a built wheel gets a copy of each inside the portal package (found there by
portal/paths.py) and the translation catalogs compiled to .mo, so that `pip install` of the
wheel gives a portal that runs. Editable installs read the checkout itself and skip this."""

import runpy
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SHIPPED_DIRS = runpy.run_path(str(HERE / "portal" / "paths.py"))["SHIPPED_DIRS"]
CATALOGS = HERE / "portal" / "translations"


def compile_catalogs(source: Path, target: Path) -> None:
    """Each messages.po under ``source`` as messages.mo under ``target`` (fuzzy entries
    included, as `make translations` does)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po_file in sorted(source.glob("*/LC_MESSAGES/*.po")):
        mo_file = target / po_file.relative_to(source).with_suffix(".mo")
        mo_file.parent.mkdir(parents=True, exist_ok=True)
        with po_file.open("rb") as po:
            catalog = read_po(po)
        with mo_file.open("wb") as mo:
            write_mo(mo, catalog, use_fuzzy=True)


class BuildWithShippedFiles(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        package = Path(self.build_lib) / "portal"
        for name in SHIPPED_DIRS:
            shutil.rmtree(package / name, ignore_errors=True)  # no file left from a past build
            shutil.copytree(
                HERE / name, package / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        compile_catalogs(CATALOGS, package / "translations")


setup(cmdclass={"build_py": BuildWithShippedFiles})

"""One place for each setting: every configuration key the code reads is declared, with its
default, in portal/config.py, and the README's table names exactly its PORTAL_* variables."""

import re

from flask import Flask

from portal.config import build_config
from tests import ROOT

# config["KEY"], config.get("KEY"), and the TTL settings named to TimedCache.
READ = re.compile(r'config(?:\[|\.get\()\s*"([A-Z][A-Z0-9_]+)"|TimedCache\("\w+", "([A-Z0-9_]+)"')


def _code_files():
    for folder in ("portal", "search"):
        yield from (ROOT / folder).rglob("*.py")


def keys_read() -> dict[str, str]:
    """Each configuration key the code reads, with one file that reads it."""
    found = {}
    for path in _code_files():
        if path.name == "config.py" and path.parent.name == "portal":
            continue
        for match in READ.finditer(path.read_text(encoding="utf-8")):
            found.setdefault(match[1] or match[2], str(path.relative_to(ROOT)))
    return found


def test_every_key_the_code_reads_is_declared(tmp_path):
    declared = set(build_config({"DATA_DIR": tmp_path})) | set(Flask.default_config)
    read = keys_read()
    assert len(read) > 30
    undeclared = {key: path for key, path in read.items() if key not in declared}
    assert not undeclared, f"declare these in portal/config.py: {undeclared}"


def test_the_readme_table_names_exactly_the_environment_settings():
    config_source = (ROOT / "portal/config.py").read_text(encoding="utf-8")
    in_config = set(re.findall(r'"(PORTAL_[A-Z0-9_]+)"', config_source))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    in_readme = {
        name
        for line in table.splitlines()
        if line.startswith("| `")
        for name in re.findall(r"`(PORTAL_[A-Z0-9_]+)`", line.split(" | ")[0])
    }
    assert in_config == in_readme

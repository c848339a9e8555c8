"""The lock files pin every requirement of pyproject.toml at a version it allows: a dependency
added or re-bounded without `make lock` fails here, not as an ImportError in some test."""

import re
import tomllib

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests import ROOT

# The checkout: the folder with pyproject.toml, wherever tests/ groups this file.
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
# name==version, then an environment marker when the universal lock forks (numpy by Python).
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)(?:\s*;\s*([^\\]+?))?\s*\\?$", re.MULTILINE)


def locked(lock_file: str) -> dict[str, str]:
    """Each package pinned for this interpreter -> its version."""
    pins = {}
    for name, version, marker in PIN.findall((ROOT / lock_file).read_text()):
        if not marker or Marker(marker).evaluate():
            pins[canonicalize_name(name)] = version
    return pins


def requirements(*extras: str) -> list[Requirement]:
    listed = PROJECT["dependencies"] + [
        line for extra in extras for line in PROJECT["optional-dependencies"][extra]
    ]
    return [Requirement(line) for line in listed]


@pytest.mark.parametrize(
    ("lock_file", "extras"),
    [
        ("requirements/dev.txt", ("dev", "postgres", "redis")),
        ("requirements/deploy.txt", ("postgres", "redis")),
    ],
)
def test_each_lock_pins_every_requirement_at_an_allowed_version(lock_file, extras):
    pins = locked(lock_file)
    assert len(pins) > 40, "the lock file pattern no longer matches its lines"
    for requirement in requirements(*extras):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement} is not in {lock_file}: run `make lock`"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"{lock_file} pins {name}=={pins[name]}, outside {requirement}: run `make lock`"
        )


def test_ruff_is_pinned_exactly():
    """A new ruff brings new rules and fixes: they come in a commit of their own."""
    (ruff,) = [r for r in requirements("dev") if canonicalize_name(r.name) == "ruff"]
    assert str(ruff.specifier).startswith("==")

"""Roles: the sets and predicates live in portal/roles.py, and nowhere else spells them out."""

import re

import pytest
from flask_login import AnonymousUserMixin

from portal.roles import ROLES, is_admin, is_editor, is_staff
from tests import ROOT

# Two role names in a row, quoted: a role set spelled out again.
ROLE_SET = re.compile(
    r"""["'](customer|expert|editor|admin)["'],\s*["'](expert|editor|admin)["']"""
)


@pytest.mark.parametrize(
    ("role", "staff", "editor", "admin"),
    [
        ("customer", False, False, False),
        ("expert", True, False, False),
        ("editor", True, True, False),
        ("admin", True, True, True),
    ],
)
def test_each_role_has_its_powers(make, role, staff, editor, admin):
    user = make.user(role=role)
    assert (is_staff(user), is_editor(user), is_admin(user)) == (staff, editor, admin)
    assert (user.is_editor, user.is_admin) == (editor, admin)


def test_nobody_and_anonymous_visitors_have_no_role_powers():
    for nobody in (None, AnonymousUserMixin()):
        assert not (is_staff(nobody) or is_editor(nobody) or is_admin(nobody))


def test_role_sets_are_spelled_out_only_in_portal_roles():
    files = [
        *(ROOT / "portal").rglob("*.py"),
        *(ROOT / "templates").rglob("*.html"),
        *(ROOT / "bench").rglob("*.py"),
    ]
    spelled = [
        str(path.relative_to(ROOT))
        for path in files
        if path != ROOT / "portal/roles.py" and ROLE_SET.search(path.read_text(encoding="utf-8"))
    ]
    assert not spelled
    assert ROLES == ("customer", "expert", "editor", "admin")

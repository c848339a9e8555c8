"""Password strength rules and generated passwords.

A password must have at least MIN_PASSWORD_LENGTH characters, must not be (or be a common
password plus a few digits or symbols from) common_passwords.txt, must not be one repeated
character, a short repeated pattern or a keyboard/alphabet sequence, and must not contain the
local part of the account's e-mail address when that part has 4 characters or more."""

import re
import secrets
from functools import cache
from itertools import pairwise
from pathlib import Path

from flask_babel import lazy_gettext as _l

from portal.auth.errors import AccountError

MIN_PASSWORD_LENGTH = 10
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")
# Rows people slide a finger along, in both directions (checked as substrings below).
SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz",
    "01234567890",
    "1234567890-=",
    "qwertyuiop[]",
    "asdfghjkl;'",
    "zxcvbnm,./",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/",
    "qazwsxedcrfvtgbyhnujmikolp",
)
# "password2026!" is "password" to a cracker's rule engine, so strip such decorations too.
_DECORATION_RE = re.compile(r"^[\d\W_]+|[\d\W_]+$")
_EMAIL_NAME_MIN = 4


# The rules as shown under every new-password field, before the first try.
PASSWORD_RULES = _l("At least %(n)d characters; avoid common passwords, simple sequences and "
                    "your e-mail name.", n=MIN_PASSWORD_LENGTH)


class WeakPasswordError(AccountError):
    """The password breaks a strength rule; the message says which."""

    field = "password"


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list, read once per process."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines
                     if line.strip() and not line.startswith("#"))


def _is_common(lowered: str) -> bool:
    common = common_passwords()
    return lowered in common or _DECORATION_RE.sub("", lowered) in common


def _is_trivial(lowered: str) -> bool:
    """One character repeated, a pattern of up to 4 characters repeated, or a sequence."""
    for size in range(1, 5):
        unit = lowered[:size]
        if len(lowered) > size and (unit * (len(lowered) // size + 1)).startswith(lowered):
            return True
    steps = {ord(b) - ord(a) for a, b in pairwise(lowered)}
    if steps in ({1}, {-1}):
        return True
    return any(lowered in row or lowered in row[::-1] for row in SEQUENCES)


def check_password_rules(password: str, email: str = "") -> None:
    """Raise WeakPasswordError with a message for the first rule the password breaks."""
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPasswordError(
            _l("The password needs at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)
        )
    lowered = password.lower()
    if _is_trivial(lowered):
        raise WeakPasswordError(
            _l("The password must not be one repeated character or a simple sequence.")
        )
    if _is_common(lowered):
        raise WeakPasswordError(
            _l("This password is too common and easy to guess; please choose another one.")
        )
    name = (email or "").split("@")[0].strip().lower()
    if len(name) >= _EMAIL_NAME_MIN and name in lowered:
        raise WeakPasswordError(
            _l("The password must not contain the name part of your e-mail address.")
        )


def generate_password() -> str:
    """A random password (about 96 bits) that passes check_password_rules()."""
    while True:
        password = secrets.token_urlsafe(12)
        try:
            check_password_rules(password)
        except WeakPasswordError:  # astronomically rare, but "generated" must mean "valid"
            continue
        return password

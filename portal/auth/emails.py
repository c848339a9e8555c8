"""What counts as an e-mail address, and its one normal form (accounts, login back-off)."""

import re

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()

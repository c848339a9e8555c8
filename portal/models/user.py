"""Accounts and roles."""

import hashlib
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_login import UserMixin
from sqlalchemy import String, false
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models._time import utcnow
from portal.roles import ROLES, is_admin, is_editor

__all__ = ["ROLES", "User"]

# Argon2id with the library's current defaults (the OWASP-recommended KDF for passwords).
# The one hasher every password hash goes through (the test suite swaps in a cheap one).
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(20), default="customer", index=True)
    locale: Mapped[str] = mapped_column(String(10), default="zh_CN")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    banned_at: Mapped[datetime | None]  # banned from posting in the forum
    password_changed_at: Mapped[datetime | None]
    # Bumped at logout: every session and remember-me cookie issued before then stops working.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    # A password someone else chose (the first admin's one-time password): every page asks
    # for a new one until it is changed (portal/auth/first_password.py).
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())

    def session_marker(self) -> str:
        """Changes whenever the password or the session generation does: sessions and
        remember-me cookies carry it, so a logout, password change or reset signs out every
        copy of them (checked on each request by visitor.load_user)."""
        material = f"{self.password_hash}\x00{self.session_generation or 0}"
        return hashlib.sha256(material.encode()).hexdigest()[:12]

    def get_id(self) -> str:  # what flask-login keeps in the session and remember cookie
        return f"{self.id}:{self.session_marker()}"

    def set_password(self, password: str) -> None:
        self.password_hash = hash_password(password)
        self.must_change_password = False

    def check_password(self, password: str) -> bool:
        try:
            return _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def password_needs_rehash(self) -> bool:
        """True when the hash was made with weaker Argon2 parameters than the current ones."""
        try:
            return _hasher.check_needs_rehash(self.password_hash)
        except InvalidHashError:
            return False

    @property
    def is_active(self) -> bool:  # flask-login refuses disabled accounts
        return self.active

    @property
    def is_editor(self) -> bool:
        return is_editor(self)

    @property
    def is_admin(self) -> bool:
        return is_admin(self)

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"

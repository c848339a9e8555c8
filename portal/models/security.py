"""Security records: the audit log of editor and admin actions, and login locks."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models._time import utcnow


class AuditEntry(db.Model):
    """Who did what to which object, when, with the state before and after (JSON text)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # The e-mail is copied so the entry still names the actor after the account is gone.
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    actor_email: Mapped[str] = mapped_column(String(254), default="")
    action: Mapped[str] = mapped_column(String(60), index=True)
    target_type: Mapped[str] = mapped_column(String(40), default="")
    target_id: Mapped[str] = mapped_column(String(64), default="")
    summary: Mapped[str] = mapped_column(String(255), default="")
    before_json: Mapped[str] = mapped_column(Text, default="")
    after_json: Mapped[str] = mapped_column(Text, default="")


class LoginLock(db.Model):
    """Failed logins with one e-mail from one client (IP address): the back-off of
    portal.auth.lockout. Per client, so guessing from one address cannot lock the owner out
    of their account from another; per e-mail key, whether or not an account has it, so a
    lock tells nothing about which e-mails have accounts."""

    __tablename__ = "login_locks"
    __table_args__ = (
        UniqueConstraint("email_key", "client", name="uq_login_locks_email_key_client"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email_key: Mapped[str] = mapped_column(String(64))
    # The account of that e-mail when it has one (the admin users list shows its locks).
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    client: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

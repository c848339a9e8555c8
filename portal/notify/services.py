"""Tell users about things: a notification row for the bell, and a mail in the outbox."""

import logging
from collections.abc import Iterable

from sqlalchemy import func, select, update

from portal.clock import now
from portal.extensions import db
from portal.links import absolute
from portal.models import Notification, OutboxMail, User

logger = logging.getLogger(__name__)


def notify(
    user_ids: Iterable[int],
    kind: str,
    message: str,
    url: str = "",
    email: bool = True,
    exclude: int | None = None,
) -> int:
    """Add a notification (and an outbox mail) for each user; the caller commits."""
    sent = 0
    for user_id in sorted(set(user_ids) - {exclude}):
        user = db.session.get(User, user_id)
        if user is None or not user.active:
            continue
        db.session.add(
            Notification(
                user_id=user_id, kind=kind, message=message[:500], url=url[:300], created_at=now()
            )
        )
        if email:
            queue_mail(user.email, message[:300], f"{message}\n\n{absolute(url)}")
        sent += 1
    return sent


def queue_mail(to_address: str, subject: str, body: str) -> OutboxMail:
    mail = OutboxMail(to_address=to_address, subject=subject, body=body, created_at=now())
    db.session.add(mail)
    logger.info("mail queued to %s: %s", to_address, subject)
    return mail


def unread_count(user_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        )
        or 0
    )


def recent_notifications(user_id: int, limit: int = 50) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.user_id == user_id)
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )


def mark_all_read(user_id: int) -> None:
    db.session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=now())
    )
    db.session.commit()

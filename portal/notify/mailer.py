"""Sending the mail outbox through SMTP (STARTTLS or SSL, with login when configured).

Each mail is claimed before it is sent, so two processes sending at once never send the
same one, and marked sent as soon as the server took it. A failure leaves the rest queued,
with the error, for the next run."""

import logging
import smtplib
import ssl
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import or_, select, update

from portal.clock import now
from portal.extensions import db
from portal.models import OutboxMail

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10  # per SMTP command
# Far above one batch's SMTP session; a sender that died lets its mails go after this.
CLAIM_TTL = timedelta(minutes=10)
# Errors about one mail (its address, its content): the session goes on with the next.
MAIL_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


def claim_mails(limit: int = 100) -> list[OutboxMail]:
    """Claim up to ``limit`` unsent mails no live sender holds; returns them, oldest first.

    One UPDATE whose WHERE is checked again on each row it locks: of two concurrent claims
    (PostgreSQL READ COMMITTED, or SQLite's single writer) only one gets a given mail."""
    token, at = uuid.uuid4().hex, now()
    free = (
        OutboxMail.sent_at.is_(None),
        or_(OutboxMail.claimed_until.is_(None), OutboxMail.claimed_until < at),
    )
    oldest = select(OutboxMail.id).where(*free).order_by(OutboxMail.id).limit(limit)
    db.session.execute(
        update(OutboxMail)
        .where(OutboxMail.id.in_(oldest.scalar_subquery()), *free)
        .values(claim=token, claimed_until=at + CLAIM_TTL),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    return list(
        db.session.scalars(
            select(OutboxMail).where(OutboxMail.claim == token).order_by(OutboxMail.id)
        )
    )


def unclaim(mail: OutboxMail, error: Exception) -> None:
    """Give the mail back to the queue with the reason; the caller commits."""
    mail.error, mail.claim, mail.claimed_until = repr(error)[:500], None, None


def message_for(mail: OutboxMail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to_address
    message["Subject"] = mail.subject
    message.set_content(mail.body)
    return message


@contextmanager
def smtp_session(config: dict) -> Iterator[smtplib.SMTP]:
    """A connected, TLS-protected (if configured) and logged-in SMTP session.

    The server's certificate is checked against SMTP_CA_FILE or the system's CAs, and its
    name against SMTP_HOST; a server that does not offer STARTTLS when asked is an error,
    never a silent fall-back to plain text."""
    host, port, tls = config["SMTP_HOST"], config["SMTP_PORT"], config.get("SMTP_TLS", "none")
    context = None
    if tls != "none":
        context = ssl.create_default_context(cafile=config.get("SMTP_CA_FILE") or None)
    if tls == "ssl":
        smtp = smtplib.SMTP_SSL(host, port, timeout=TIMEOUT_SECONDS, context=context)
    else:
        smtp = smtplib.SMTP(host, port, timeout=TIMEOUT_SECONDS)
    with smtp:  # QUIT and close, whatever happens below
        if tls == "starttls":
            smtp.starttls(context=context)
        if config.get("SMTP_USER"):
            smtp.login(config["SMTP_USER"], config.get("SMTP_PASSWORD", ""))
        yield smtp


def send_outbox(limit: int = 100) -> int:
    """Send queued mail through SMTP when PORTAL_SMTP_HOST is set; otherwise keep it in the
    outbox (admins read it there). Returns the number sent."""
    config = current_app.config
    if not config.get("SMTP_HOST"):
        return 0
    mails = claim_mails(limit)
    if not mails:
        return 0
    sent = 0
    try:
        with smtp_session(config) as smtp:
            for mail in mails:
                try:
                    smtp.send_message(message_for(mail, config["MAIL_FROM"]))
                except MAIL_ERRORS as error:
                    logger.warning(
                        "SMTP refused mail %d to %s: %s", mail.id, mail.to_address, error
                    )
                    unclaim(mail, error)
                else:
                    mail.sent_at, mail.error = now(), None
                    sent += 1
                db.session.commit()  # at once: a crash later must not send this one again
    except (OSError, smtplib.SMTPException) as error:
        left = [mail for mail in mails if mail.sent_at is None and mail.claim is not None]
        logger.warning("SMTP delivery failed, %d mails stay queued for retry: %r", len(left), error)
        for mail in left:
            unclaim(mail, error)
        db.session.commit()
    return sent

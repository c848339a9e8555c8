"""Mail through a real SMTP server (aiosmtpd started by the test): STARTTLS or implicit TLS,
login, the server's certificate checked; a refused login, an untrusted certificate or a
server without STARTTLS leave the mail queued with the reason, and a later run sends it."""

import logging

import pytest
from sqlalchemy import select

from portal.config import ConfigError, build_config
from portal.extensions import db
from portal.models import OutboxMail
from portal.notify.mailer import send_outbox
from portal.notify.services import queue_mail
from tests.smtp_support import SmtpServer, make_tls_files

USERS = {"portal@qinghe.example": "right-password"}


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    return make_tls_files(tmp_path_factory.mktemp("tls"))


def use_server(app, server, tls, tls_files=None, password="right-password"):
    app.config.update(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=server.port,
        SMTP_TLS=tls,
        SMTP_USER="portal@qinghe.example",
        SMTP_PASSWORD=password,
        SMTP_CA_FILE=str(tls_files.ca) if tls_files else "",
    )


def queue(*subjects):
    for subject in subjects:
        queue_mail("li@example.com", subject, f"{subject}: body")
    db.session.commit()


def outbox():
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)))


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # see SmtpServer
@pytest.mark.parametrize("tls", ["starttls", "ssl"])
def test_mail_goes_out_encrypted_after_login(app, tls_files, tls):
    queue("重置密码", "Welcome")
    with SmtpServer(tls, tls_files, users=USERS) as server:
        use_server(app, server, tls, tls_files)
        assert send_outbox() == 2
    assert [(m.subject, m.to, m.encrypted, m.login) for m in server.messages] == [
        ("重置密码", ["li@example.com"], True, "portal@qinghe.example"),
        ("Welcome", ["li@example.com"], True, "portal@qinghe.example"),
    ]
    assert all(mail.sent_at is not None and mail.error is None for mail in outbox())


def test_a_wrong_password_is_logged_and_the_mail_stays_queued(app, tls_files, caplog):
    queue("Your answer arrived")
    with SmtpServer("starttls", tls_files, users=USERS) as server:
        use_server(app, server, "starttls", tls_files, password="wrong")
        with caplog.at_level(logging.WARNING, logger="portal.notify.mailer"):
            assert send_outbox() == 0
        assert set(server.failed_logins) == {"portal@qinghe.example"}  # each mechanism tried
        assert server.messages == []
        assert "SMTP delivery failed, 1 mails stay queued for retry" in caplog.text
        [mail] = outbox()
        assert mail.sent_at is None and "535" in mail.error  # the server's answer, kept
        assert mail.claimed_until is None  # free for the next run at once

        app.config["SMTP_PASSWORD"] = "right-password"  # the admin fixes the setting
        assert send_outbox() == 1
    assert server.subjects() == ["Your answer arrived"]
    assert outbox()[0].sent_at is not None


def test_a_certificate_from_an_untrusted_ca_is_refused(app, tls_files):
    """Without SMTP_CA_FILE only the system's CAs count: the test CA is not one of them."""
    queue("Secret link")
    with SmtpServer("starttls", tls_files, users=USERS) as server:
        use_server(app, server, "starttls")  # no CA file
        assert send_outbox() == 0
    assert server.messages == [] and server.failed_logins == []
    [mail] = outbox()
    assert mail.sent_at is None and "CERTIFICATE_VERIFY_FAILED" in mail.error


def test_a_server_without_starttls_never_gets_the_password_in_clear(app, tls_files):
    queue("Secret link")
    with SmtpServer(None) as server:  # offers no STARTTLS
        use_server(app, server, "starttls", tls_files)
        assert send_outbox() == 0
    assert server.messages == []
    [mail] = outbox()
    assert mail.sent_at is None and "STARTTLS" in mail.error


def test_plain_smtp_without_login_still_works(app):
    queue("Plain")
    with SmtpServer(None) as server:
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=server.port, SMTP_TLS="none")
        assert send_outbox() == 1
    assert [(m.subject, m.encrypted, m.login) for m in server.messages] == [("Plain", False, None)]


@pytest.mark.parametrize(("tls", "port"), [("none", 25), ("STARTTLS", 587), (" ssl ", 465)])
def test_the_default_port_follows_the_tls_mode(tmp_path, monkeypatch, tls, port):
    monkeypatch.setenv("PORTAL_SMTP_TLS", tls)
    monkeypatch.delenv("PORTAL_SMTP_PORT", raising=False)
    config = build_config({"DATA_DIR": tmp_path})
    assert (config["SMTP_TLS"], config["SMTP_PORT"]) == (tls.strip().lower(), port)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"SMTP_TLS": "tls"}, "PORTAL_SMTP_TLS must be one of none, starttls, ssl, not 'tls'"),
        (
            {"SMTP_HOST": "smtp.example.com", "SMTP_USER": "portal"},
            "PORTAL_SMTP_USER needs PORTAL_SMTP_TLS=starttls or ssl",
        ),
        ({"SMTP_CA_FILE": "/nonexistent/ca.pem"}, "PORTAL_SMTP_CA_FILE is not a file"),
    ],
)
def test_mail_settings_that_cannot_work_are_refused_at_start(tmp_path, settings, message):
    with pytest.raises(ConfigError, match=message):
        build_config({"DATA_DIR": tmp_path, **settings})


def test_login_without_tls_is_allowed_to_a_relay_on_this_machine(tmp_path):
    config = build_config({"DATA_DIR": tmp_path, "SMTP_HOST": "127.0.0.1", "SMTP_USER": "portal"})
    assert config["SMTP_PORT"] == 25

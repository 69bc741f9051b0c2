"""The mail service: the outbox folder, SMTP with the MAIL_* settings, and failures while sending links."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa


class FakeSMTP:
    """Records what smtplib.SMTP is asked to do."""

    instances: list[FakeSMTP] = []
    fail_after: int | None = None

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.calls: list[str] = []
        self.sent: list[EmailMessage] = []
        FakeSMTP.instances.append(self)

    def __enter__(self) -> FakeSMTP:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.calls.append("quit")

    def starttls(self, context: Any = None) -> None:
        self.calls.append("starttls")
        self.context = context

    def login(self, user: str, password: str) -> None:
        self.calls.append(f"login {user} {password}")

    def send_message(self, msg: EmailMessage) -> None:
        if FakeSMTP.fail_after is not None and len(self.sent) >= FakeSMTP.fail_after:
            raise smtplib.SMTPServerDisconnected("connection lost")
        self.sent.append(msg)


@pytest.fixture()
def smtp(app: Any, monkeypatch: pytest.MonkeyPatch) -> type[FakeSMTP]:
    from survey.services import mail

    FakeSMTP.instances = []
    FakeSMTP.fail_after = None
    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSMTP)
    monkeypatch.setattr(mail, "outbox_dir", lambda config=None: None)
    app.config.update(
        MAIL_SERVER="smtp.example.dk", MAIL_PORT=587, MAIL_USE_TLS=True, MAIL_USERNAME="u", MAIL_PASSWORD="p"
    )
    return FakeSMTP


def test_outbox_writes_one_private_eml_per_message(app: Any, db: Any) -> None:
    from survey.services import mail

    n = mail.send(
        [mail.build_message("a@example.dk", "Hej", "body æøå"), mail.build_message("b@example.dk", "S", "x")]
    )
    files = sorted(Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"))
    assert n == 2 and len(files) == 2
    assert {f.stat().st_mode & 0o777 for f in files} == {0o600}
    assert b"To: a@example.dk" in b"".join(f.read_bytes() for f in files)


def test_outbox_is_used_in_development_and_testing_only(app: Any) -> None:
    from survey.services import mail

    with app.app_context():
        assert mail.outbox_dir({"MAIL_OUTBOX_DIR": "/x"}) == Path("/x")
        assert mail.outbox_dir({"TRIVSEL_ENV": "development"}) == Path(app.instance_path) / "outbox"
        assert mail.outbox_dir({"TESTING": True}) == Path(app.instance_path) / "outbox"
        assert mail.outbox_dir({"TRIVSEL_ENV": "production"}) is None


def test_smtp_uses_the_mail_settings_and_one_connection(app: Any, db: Any, smtp: type[FakeSMTP]) -> None:
    from survey.services import mail

    with app.test_request_context():
        n = mail.send([mail.build_message(f"{i}@example.dk", "S", "b") for i in range(3)])
    assert n == 3 and len(smtp.instances) == 1
    conn = smtp.instances[0]
    assert (conn.host, conn.port) == ("smtp.example.dk", 587)
    assert conn.calls == ["starttls", "login u p", "quit"]
    # STARTTLS checks the server's certificate and host name (without a context it checks neither)
    import ssl

    assert conn.context is not None and conn.context.verify_mode == ssl.CERT_REQUIRED
    assert conn.context.check_hostname is True
    assert [m["To"] for m in conn.sent] == ["0@example.dk", "1@example.dk", "2@example.dk"]


def test_a_failure_part_way_keeps_the_sent_links_and_leaves_the_others(
    app: Any, db: Any, smtp: type[FakeSMTP], make_units: Any, make_wave: Any
) -> None:
    from survey.models import Invitation
    from survey.services import ServiceError, invitations

    make_units()
    make_wave("2025", status="open")
    for i in range(3):
        invitations.create_links("2025", "A", emails=[f"{i}@example.dk"])
    before = dict(db.session.execute(sa.select(Invitation.email, Invitation.token_hash)).all())
    smtp.fail_after = 1
    with app.test_request_context(), pytest.raises(ServiceError, match="sending failed after 1 of 3"):
        invitations.send_links("2025", lambda a, t: invitations_message(a, t))
    db.session.expire_all()
    after = dict(db.session.execute(sa.select(Invitation.email, Invitation.token_hash)).all())
    changed = [e for e in before if before[e] != after[e]]
    assert len(changed) == 1  # the one message that went out has its new link; the others are unchanged
    sent_to = smtp.instances[0].sent[0]["To"]
    assert changed == [sent_to]


def invitations_message(address: str, token: str) -> EmailMessage:
    from survey.services import mail

    return mail.build_message(address, "S", f"http://localhost/r/{token}")


def test_unreachable_server_changes_nothing(
    app: Any, db: Any, make_units: Any, make_wave: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from survey.models import Invitation
    from survey.services import ServiceError, invitations, mail

    def refuse(*args: Any, **kw: Any) -> Any:
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(mail.smtplib, "SMTP", refuse)
    monkeypatch.setattr(mail, "outbox_dir", lambda config=None: None)
    make_units()
    make_wave("2025", status="open")
    invitations.create_links("2025", "A", emails=["a@example.dk"])
    before = db.session.scalars(sa.select(Invitation.token_hash)).all()
    with app.test_request_context(), pytest.raises(ServiceError, match="sending failed after 0 of 1"):
        invitations.send_links("2025", invitations_message)
    db.session.expire_all()
    assert db.session.scalars(sa.select(Invitation.token_hash)).all() == before

"""Outgoing e-mail: SMTP from the ``MAIL_*`` settings, or .eml files in an outbox folder.

The outbox is used when ``MAIL_OUTBOX_DIR`` is set, and in development and testing (then
``<instance>/outbox`` unless ``MAIL_OUTBOX_DIR`` says otherwise). Message bodies carry personal links:
they are never logged; only counts are.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

from flask import current_app


def build_message(to: str, subject: str, body: str, *, sender: str | None = None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender or current_app.config.get("MAIL_FROM") or "trivsel@localhost"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="trivsel")
    msg.set_content(body)
    return msg


def outbox_dir(config: Any = None) -> Path | None:
    """The outbox folder, or None when mail goes to the SMTP server."""
    cfg = config if config is not None else current_app.config
    if cfg.get("MAIL_OUTBOX_DIR"):
        return Path(cfg["MAIL_OUTBOX_DIR"])
    if cfg.get("TESTING") or cfg.get("TRIVSEL_ENV") in ("development", "testing"):
        return Path(current_app.instance_path) / "outbox"
    return None


@contextmanager
def connection() -> Iterator[Callable[[EmailMessage], None]]:
    """A ``deliver(message)`` callable over one SMTP connection (or the outbox folder).

    Raises ``OSError``/``smtplib.SMTPException`` when the server cannot be reached or refuses.
    Logs only how many messages went out, never addresses or bodies.
    """
    sent = 0
    folder = outbox_dir()
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)

        def to_outbox(msg: EmailMessage) -> None:
            nonlocal sent
            target = folder / f"{uuid.uuid4().hex}.eml"
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(msg.as_bytes())
            sent += 1

        try:
            yield to_outbox
        finally:
            current_app.logger.info("mail: %d message(s) written to the outbox", sent)
        return
    cfg = current_app.config
    with smtplib.SMTP(cfg["MAIL_SERVER"], int(cfg["MAIL_PORT"]), timeout=30) as smtp:
        if cfg.get("MAIL_USE_TLS"):
            smtp.starttls(context=ssl.create_default_context())  # checks the certificate and host name
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg.get("MAIL_PASSWORD") or "")

        def to_smtp(msg: EmailMessage) -> None:
            nonlocal sent
            smtp.send_message(msg)
            sent += 1

        try:
            yield to_smtp
        finally:
            current_app.logger.info("mail: %d message(s) sent", sent)


def send(messages: Iterable[EmailMessage]) -> int:
    """Deliver ``messages`` over one connection; returns how many were sent."""
    n = 0
    with connection() as deliver:
        for msg in messages:
            deliver(msg)
            n += 1
    return n

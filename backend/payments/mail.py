"""Mail from the outbox: receipts, "your ticket sold", refund and payout notices.

The facts that call for a mail (``ChargeCreated``, ``PaymentRefunded``, ``PayoutPaid``)
leave the payment's outbox with the change itself; their handler renders each mail
(Jinja2, an HTML and a text part) and queues it as a ``Mail`` whose id says what it is
(``receipt:<order>``): a redelivered fact queues nothing twice. The mail worker claims a
queued mail for a while, sends it over SMTP (aiosmtplib) and marks it sent; a worker
that dies before the mark leaves the claim to run out and the mail is sent again, with
the same ``Message-ID`` (derived from its id), so the one case of a second copy — a
crash between the SMTP server's acceptance and the mark — is recognisable as one.
"""

from __future__ import annotations

import contextlib
import email.utils
import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import unquote, urlsplit

import aiosmtplib
import structlog
from beanie import Document
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from pydantic import Field
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from backend.common.clock import utcnow
from backend.common.settings import Settings
from wire.values import Money

log = structlog.get_logger(__name__)

CLAIM = timedelta(seconds=60)  # a send takes far less; a dead sender's mail goes after it


class Mail(Document):
    """A mail to send; ``id`` is ``<kind>:<order id>[:<recipient role>]``."""

    id: str  # type: ignore[assignment]
    to: str
    subject: str
    text: str
    html: str
    queued_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
    claimed_until: datetime | None = None
    attempts: int = 0
    error: str | None = None

    class Settings:
        name = "mails"


@dataclass(frozen=True, slots=True)
class SmtpTarget:
    hostname: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool

    @classmethod
    def of(cls, url: str) -> SmtpTarget:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("SMTP_URL must be smtp://host:port or smtps://host:port")
        tls = parts.scheme == "smtps"
        return cls(
            hostname=parts.hostname,
            port=parts.port or (465 if tls else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=tls,
        )


def _money(value: Money) -> str:
    return f"{value.amount / 100:,.2f} {value.currency.upper()}"


@functools.cache
def _templates() -> Environment:
    """The mail templates (``backend/payments/templates``), loaded on first use."""
    environment = Environment(
        loader=PackageLoader("backend.payments", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["money"] = _money
    return environment


class Mailer:
    def __init__(self, settings: Settings) -> None:
        self.smtp = SmtpTarget.of(settings.smtp_url)
        self.sender = settings.mail_from
        self.public_url = settings.public_url.rstrip("/")
        self.domain = urlsplit(self.public_url).hostname or "ticketing.local"

    async def queue(self, mail_id: str, to: str, template: str, **context: Any) -> None:
        """Render and queue a mail once (a second call with the same id does nothing)."""
        if not to:
            log.warning("mail.no_address", mail_id=mail_id)
            return
        context |= {"public_url": self.public_url}
        templates = _templates()
        subject = templates.get_template(f"{template}.subject.txt").render(context).strip()
        text = templates.get_template(f"{template}.txt").render(context)
        html = templates.get_template(f"{template}.html").render(context)
        with contextlib.suppress(DuplicateKeyError):  # queued already (a redelivered fact)
            await Mail(id=mail_id, to=to, subject=subject, text=text, html=html).insert()

    async def send_queued(self) -> int:
        """Send every queued mail that nobody is sending; returns how many were sent."""
        sent = 0
        while (mail := await self._claim()) is not None:
            try:
                await aiosmtplib.send(
                    self._message(mail),
                    hostname=self.smtp.hostname,
                    port=self.smtp.port,
                    username=self.smtp.username,
                    password=self.smtp.password,
                    use_tls=self.smtp.use_tls,
                    timeout=30,
                )
            except (aiosmtplib.SMTPException, OSError) as exc:
                log.warning("mail.send_failed", mail_id=mail.id, error=str(exc))
                await Mail.get_pymongo_collection().update_one(
                    {"_id": mail.id}, {"$set": {"error": str(exc)[:500]}}
                )
                return sent  # the server is unwell: the next round tries again
            await Mail.get_pymongo_collection().update_one(
                {"_id": mail.id}, {"$set": {"sent_at": utcnow(), "error": None}}
            )
            sent += 1
        return sent

    async def _claim(self) -> Mail | None:
        now = utcnow()
        raw = await Mail.get_pymongo_collection().find_one_and_update(
            {
                "sent_at": None,
                "$or": [{"claimed_until": None}, {"claimed_until": {"$lt": now}}],
            },
            {"$set": {"claimed_until": now + CLAIM}, "$inc": {"attempts": 1}},
            sort=[("queued_at", 1)],
            return_document=ReturnDocument.AFTER,
        )
        return None if raw is None else Mail.model_validate(raw)

    def _message(self, mail: Mail) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Date"] = email.utils.format_datetime(mail.queued_at)
        message["Message-ID"] = f"<{mail.id.replace(':', '.')}@{self.domain}>"
        message.set_content(mail.text)
        message.add_alternative(mail.html, subtype="html")
        return message

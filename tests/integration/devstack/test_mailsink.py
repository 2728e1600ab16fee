"""The local mail sink: a message sent over SMTP is read back over HTTP, whole."""

from __future__ import annotations

import uuid
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import urlsplit

import aiosmtplib
import httpx
import pytest

from tests.support.mail import MailSink, clear_mails, sent_mails, wait_for_mails

pytestmark = pytest.mark.integration


async def send(sink: MailSink, to: str, subject: str) -> str:
    """Sends a text and HTML mail over SMTP; its Message-ID."""
    message = EmailMessage()
    message["Message-ID"] = make_msgid(domain="ticketing.local")
    message["From"] = "Ticketing <no-reply@ticketing.local>"
    message["To"] = to
    message["Subject"] = subject
    message.set_content("Your ticket is yours.\n")
    message.add_alternative("<p>Your ticket is <b>yours</b>.</p>\n", subtype="html")
    smtp = urlsplit(sink.smtp_url)
    await aiosmtplib.send(message, hostname=smtp.hostname, port=smtp.port, timeout=10)
    return str(message["Message-ID"])


async def test_a_sent_mail_is_read_back_with_its_text_and_html(mail_sink: MailSink) -> None:
    to = f"buyer-{uuid.uuid4().hex[:8]}@example.com"

    message_id = await send(mail_sink, to, "Your order")

    [mail] = await wait_for_mails(mail_sink.http_url, 1, to=to)
    assert mail["to"] == [to]
    assert mail["from"] == "Ticketing <no-reply@ticketing.local>"
    assert mail["subject"] == "Your order"
    assert mail["text"] == "Your ticket is yours.\n"
    assert mail["html"] == "<p>Your ticket is <b>yours</b>.</p>\n"
    assert mail["messageId"] == message_id
    assert mail["receivedAt"]
    async with httpx.AsyncClient(base_url=mail_sink.http_url, timeout=10) as http:
        one = await http.get(f"/messages/{mail['id']}")
        missing = await http.get("/messages/999999")
    assert one.json() == mail
    assert missing.status_code == 404


async def test_mails_are_filtered_by_recipient_and_cleared(mail_sink: MailSink) -> None:
    first, second = (f"{name}-{uuid.uuid4().hex[:8]}@example.com" for name in ("a", "b"))
    await send(mail_sink, first, "One")
    await send(mail_sink, second, "Two")
    await send(mail_sink, first, "Three")

    mails = await wait_for_mails(mail_sink.http_url, 2, to=first)
    assert [mail["subject"] for mail in mails] == ["One", "Three"]  # oldest first
    assert [m["subject"] for m in await sent_mails(mail_sink.http_url, second)] == ["Two"]

    await clear_mails(mail_sink.http_url)

    assert await sent_mails(mail_sink.http_url) == []

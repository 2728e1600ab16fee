"""The mails the marketplace sent, read from the local runner's mail sink (development
only: ``MAIL_SINK_URL``, ``tools/devstack/mailsink.py``; ``GET /messages``)."""

from __future__ import annotations

from datetime import datetime

import httpx
from pydantic import BaseModel, Field, ValidationError

from ticketing_ui import api
from wire.base import CamelModel


class SentMail(CamelModel):
    id: int
    sender: str = Field(default="", alias="from")
    to: list[str] = []
    subject: str | None = None
    text: str | None = None
    html: str | None = None
    received_at: datetime


class SentMails(BaseModel):
    messages: list[SentMail]


class MailSinkError(Exception):
    """The sink can't be reached or answered something else."""


async def sent_mails(sink_url: str) -> list[SentMail]:
    """Every mail the sink holds, newest first."""
    try:
        response = await api.client().get(f"{sink_url}/messages")
        response.raise_for_status()
        mails = SentMails.model_validate_json(response.content).messages
    except (httpx.HTTPError, ValidationError) as exc:
        raise MailSinkError(f"The mail sink at {sink_url} can't be read: {exc}") from exc
    return sorted(mails, key=lambda mail: (mail.received_at, mail.id), reverse=True)

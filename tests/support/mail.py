"""The mail sink (``tools.devstack.mailsink``) as the tests read it: what was sent, to whom."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tests.support.api import eventually


@dataclass(frozen=True, slots=True)
class MailSink:
    smtp_url: str  # smtp://127.0.0.1:<port>, for the services' SMTP_URL
    http_url: str  # its read API


async def sent_mails(http_url: str, to: str | None = None) -> list[dict[str, Any]]:
    """Every message the sink holds (oldest first), or only those sent to ``to``."""
    params = {"to": to} if to is not None else {}
    async with httpx.AsyncClient(base_url=http_url, timeout=10) as http:
        response = await http.get("/messages", params=params)
    response.raise_for_status()
    messages: list[dict[str, Any]] = response.json()["messages"]
    return messages


async def clear_mails(http_url: str) -> None:
    async with httpx.AsyncClient(base_url=http_url, timeout=10) as http:
        response = await http.delete("/messages")
    response.raise_for_status()


async def wait_for_mails(
    http_url: str, count: int, *, to: str | None = None, timeout: float = 20.0
) -> list[dict[str, Any]]:
    """At least ``count`` messages (sent to ``to`` if given), polled until they are there."""
    return await eventually(
        lambda: sent_mails(http_url, to), lambda mails: len(mails) >= count, timeout
    )

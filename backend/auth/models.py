"""Documents owned by the auth service."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from beanie import Document, Indexed
from pydantic import Field

from backend.common.events import utcnow
from backend.common.outbox import OutboxEntry


class User(Document):
    # Stored normalised (trimmed, lower-case); the unique index settles signup races.
    email: Annotated[str, Indexed(unique=True)]
    display_name: str
    password_hash: str
    version: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    outbox: list[OutboxEntry] = Field(default_factory=list)

    class Settings:
        name = "users"

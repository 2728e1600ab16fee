"""Documents owned by the auth service."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from beanie import Document, Indexed
from pydantic import Field

from backend.common.clock import utcnow
from backend.common.unit_of_work import Aggregate


class User(Document, Aggregate):
    # Stored normalised (trimmed, lower-case); the unique index settles signup races.
    email: Annotated[str, Indexed(unique=True)]
    display_name: str
    password_hash: str
    # Tokens carry it (``gen``); a password change moves it on and ends older sessions.
    session_generation: int = 0
    created_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "users"

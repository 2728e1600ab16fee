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
    # Granted and taken away only by an operator's command (``python -m backend.auth.roles``),
    # never through the API; other services read them from their user replica.
    roles: list[str] = Field(default_factory=list)
    created_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "users"

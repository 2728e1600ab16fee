"""Users and sessions as the REST API shows them."""

from __future__ import annotations

from datetime import datetime

from pydantic import ConfigDict

from wire.base import CamelModel, IdText


class UserPublic(CamelModel):
    model_config = ConfigDict(from_attributes=True)

    id: IdText
    email: str
    display_name: str


class CurrentUserResponse(CamelModel):
    current_user: UserPublic | None


class TokenResponse(CamelModel):
    token: str
    expires_at: datetime

"""Request bodies of the auth API (camelCase on the wire); what it answers is in
``wire.users``."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, EmailStr, Field, StringConstraints, model_validator

from backend.common.schemas import PLAIN_TEXT, RequestModel

PASSWORD_MIN, PASSWORD_MAX = 8, 128
DISPLAY_NAME_MAX = 60


def normalise_email(value: str) -> str:
    return value.strip().lower()


Email = Annotated[EmailStr, Field(max_length=254), AfterValidator(normalise_email)]
# Passwords are taken exactly as typed: spaces are characters too.
Password = Annotated[
    str, StringConstraints(strip_whitespace=False, min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)
]
DisplayName = Annotated[str, Field(min_length=1, max_length=DISPLAY_NAME_MAX), PLAIN_TEXT]


class SignupRequest(RequestModel):
    email: Email
    password: Password
    display_name: DisplayName | None = None


class SigninRequest(RequestModel):
    # Not validated as an email: a typo should read "invalid credentials", not leak rules.
    email: Annotated[str, Field(min_length=1, max_length=254), AfterValidator(normalise_email)]
    password: Annotated[
        str, StringConstraints(strip_whitespace=False, min_length=1, max_length=PASSWORD_MAX)
    ]


class UpdateMeRequest(RequestModel):
    display_name: DisplayName | None = None
    password: Password | None = None
    current_password: (
        Annotated[str, StringConstraints(strip_whitespace=False, max_length=PASSWORD_MAX)] | None
    ) = None

    @model_validator(mode="after")
    def _something_to_change(self) -> UpdateMeRequest:
        if self.display_name is None and self.password is None:
            raise ValueError("Nothing to change: give displayName and/or password")
        return self


class ChangePasswordRequest(RequestModel):
    current_password: Annotated[
        str, StringConstraints(strip_whitespace=False, min_length=1, max_length=PASSWORD_MAX)
    ]
    new_password: Password

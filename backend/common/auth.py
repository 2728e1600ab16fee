"""Sessions as HS256 JWTs: issued by the auth service, verified by every service.

The token travels in an HttpOnly cookie for browsers and as ``Authorization: Bearer``
for bots. Verification is done by Starlette's pure-ASGI ``AuthenticationMiddleware``
(so WebSockets are covered too) with the backend below.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from starlette.authentication import AuthCredentials, AuthenticationBackend, BaseUser
from starlette.requests import HTTPConnection
from starlette.responses import Response

from backend.common.errors import NotAuthorized
from backend.common.settings import Settings

SESSION_COOKIE = "session"
ALGORITHM = "HS256"


@dataclass(frozen=True, slots=True)
class CurrentUser(BaseUser):
    id: str
    email: str

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.email

    @property
    def identity(self) -> str:
        return self.id


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    expires_at: datetime


def issue_token(*, user_id: str, email: str, key: str, ttl_seconds: int) -> IssuedToken:
    now = datetime.now(UTC).replace(microsecond=0)
    expires_at = now + timedelta(seconds=ttl_seconds)
    claims = {"sub": user_id, "email": email, "iat": now, "exp": expires_at}
    return IssuedToken(jwt.encode(claims, key, algorithm=ALGORITHM), expires_at)


def verify_token(token: str, *, key: str) -> CurrentUser | None:
    """The user a token names, or None for any bad token (expired, forged, ``alg: none``…)."""
    try:
        claims = jwt.decode(
            token, key, algorithms=[ALGORITHM], options={"require": ["sub", "exp", "iat"]}
        )
    except (jwt.PyJWTError, UnicodeError):  # e.g. a lone surrogate in a WebSocket auth frame
        return None
    sub, email = claims.get("sub"), claims.get("email")
    if not isinstance(sub, str) or not isinstance(email, str) or not sub:
        return None
    return CurrentUser(id=sub, email=email)


def token_from(conn: HTTPConnection) -> str | None:
    header = conn.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return conn.cookies.get(SESSION_COOKIE) or None


class JWTAuthBackend(AuthenticationBackend):
    """Never raises: a bad token simply means "not signed in"."""

    def __init__(self, key: str) -> None:
        self.key = key

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        token = token_from(conn)
        if token is None:
            return None
        user = verify_token(token, key=self.key)
        if user is None:
            return None
        return AuthCredentials(["authenticated"]), user


def current_user(conn: HTTPConnection) -> CurrentUser | None:
    user = conn.scope.get("user")
    return user if isinstance(user, CurrentUser) else None


def require_user(conn: HTTPConnection) -> CurrentUser:
    user = current_user(conn)
    if user is None:
        raise NotAuthorized()
    return user


def set_session_cookie(response: Response, issued: IssuedToken, settings: Settings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        issued.token,
        max_age=settings.jwt_ttl_seconds,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.is_production,
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=settings.is_production
    )

"""Session tokens built by hand with PyJWT: a good one, and every kind of bad one."""

from __future__ import annotations

import base64
import json
import secrets
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from jwt.warnings import InsecureKeyLengthWarning

from backend.common.auth import issue_token
from tests.conftest import TEST_JWT_KEY

OTHER_KEY = "another-jwt-key-0123456789abcdef0123456789abcdef"
UNKNOWN_USER_ID = "ffffffffffffffffffffffff"

# Builds a token for (user id, email); each one is bad in the way its name says.
type TokenFactory = Callable[[str, str], str]


def claims(user_id: str, email: str, /, **changes: Any) -> dict[str, Any]:
    """Good claims for the user; a change to ``None`` drops that claim."""
    now = datetime.now(UTC)
    base: dict[str, Any] = {
        "sub": user_id,
        "email": email,
        "iat": now,
        "exp": now + timedelta(hours=1),
        "jti": secrets.token_hex(16),  # the session, as the auth service issues it
        "gen": 0,  # the user's session generation: a new user's
    }
    base.update(changes)
    return {name: value for name, value in base.items() if value is not None}


def signed(payload: dict[str, Any], key: str = TEST_JWT_KEY, algorithm: str = "HS256") -> str:
    return jwt.encode(payload, key, algorithm=algorithm)


def good_token(user_id: str, email: str) -> str:
    return signed(claims(user_id, email))


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, default=lambda value: int(value.timestamp())).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _payload_swapped(user_id: str, email: str) -> str:
    """A genuine token whose payload now names another user, keeping the signature."""
    header, _, signature = good_token(user_id, email).split(".")
    return f"{header}.{_b64(claims(UNKNOWN_USER_ID, email))}.{signature}"


def _hs512(user_id: str, email: str) -> str:
    """Signed with the right key, but with an algorithm the verifier does not allow."""
    with warnings.catch_warnings():
        # The key is long enough for HS256 only; PyJWT warns about it for HS512.
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)
        return signed(claims(user_id, email), algorithm="HS512")


def _an_hour_ago() -> datetime:
    return datetime.now(UTC) - timedelta(hours=1)


def _soon() -> datetime:
    return datetime.now(UTC) + timedelta(hours=1)


BAD_TOKENS: dict[str, TokenFactory] = {
    "expired": lambda u, e: signed(
        claims(u, e, iat=_an_hour_ago() - timedelta(hours=1), exp=_an_hour_ago())
    ),
    "expired-by-issue-token": lambda u, e: (
        issue_token(user_id=u, email=e, key=TEST_JWT_KEY, ttl_seconds=-60).token
    ),
    "wrong-signature": lambda u, e: signed(claims(u, e), key=OTHER_KEY),
    "payload-swapped": _payload_swapped,
    "alg-none": lambda u, e: jwt.encode(claims(u, e), "", algorithm="none"),
    "alg-none-hand-made": lambda u, e: (
        f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims(u, e))}."
    ),
    "alg-hs512": _hs512,
    "malformed-text": lambda u, e: "not-a-token",
    "malformed-three-parts": lambda u, e: "abc.def.ghi",
    "malformed-truncated": lambda u, e: good_token(u, e)[:-10],
    "missing-sub": lambda u, e: signed(claims(u, e, sub=None)),
    "empty-sub": lambda u, e: signed(claims(u, e, sub="")),
    "integer-sub": lambda u, e: signed(claims(u, e, sub=12345)),
    "object-sub": lambda u, e: signed(claims(u, e, sub={"id": u})),
    "list-sub": lambda u, e: signed(claims(u, e, sub=[u])),
    "missing-email": lambda u, e: signed(claims(u, e, email=None)),
    "integer-email": lambda u, e: signed(claims(u, e, email=1)),
    "missing-exp": lambda u, e: signed(claims(u, e, exp=None)),
    "missing-iat": lambda u, e: signed(claims(u, e, iat=None)),
    "iat-in-the-future": lambda u, e: signed(claims(u, e, iat=_soon())),
    "not-yet-valid": lambda u, e: signed(claims(u, e, nbf=_soon())),
}

"""Session tokens: what ``issue_token`` signs, ``verify_token`` accepts; nothing else."""

from __future__ import annotations

import base64
import json
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from jwt.warnings import InsecureKeyLengthWarning

from backend.common.auth import CurrentUser, issue_token, verify_token
from tests.conftest import TEST_JWT_KEY

pytestmark = pytest.mark.unit

USER_ID = "0123456789abcdef01234567"
EMAIL = "ada@example.com"
OTHER_KEY = "another-jwt-key-0123456789abcdef0123456789abcdef"


def claims(**changes: Any) -> dict[str, Any]:
    """Good claims; a change to ``None`` drops that claim."""
    now = datetime.now(UTC)
    base: dict[str, Any] = {
        "sub": USER_ID,
        "email": EMAIL,
        "iat": now,
        "exp": now + timedelta(hours=1),
    }
    base.update(changes)
    return {name: value for name, value in base.items() if value is not None}


def signed(payload: dict[str, Any], key: str = TEST_JWT_KEY, algorithm: str = "HS256") -> str:
    return jwt.encode(payload, key, algorithm=algorithm)


def b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, default=lambda value: int(value.timestamp())).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def signed_hs512(payload: dict[str, Any]) -> str:
    """Signed with the right key but an algorithm the verifier does not allow."""
    with warnings.catch_warnings():
        # The key is long enough for HS256 only; PyJWT warns about it for HS512.
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)
        return signed(payload, algorithm="HS512")


def past() -> datetime:
    return datetime.now(UTC) - timedelta(hours=1)


def payload_swapped() -> str:
    header, _, signature = signed(claims()).split(".")
    return f"{header}.{b64(claims(sub='ffffffffffffffffffffffff'))}.{signature}"


BAD_TOKENS: dict[str, Callable[[], str]] = {
    "expired": lambda: signed(claims(iat=past() - timedelta(hours=1), exp=past())),
    "expired-by-issue-token": lambda: (
        issue_token(user_id=USER_ID, email=EMAIL, key=TEST_JWT_KEY, ttl_seconds=-60).token
    ),
    "wrong-signature": lambda: signed(claims(), key=OTHER_KEY),
    "payload-swapped": payload_swapped,
    "alg-none": lambda: jwt.encode(claims(), "", algorithm="none"),
    "alg-none-hand-made": lambda: f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims())}.",
    "alg-hs512": lambda: signed_hs512(claims()),
    "malformed-empty": lambda: "",
    "malformed-text": lambda: "not-a-token",
    "malformed-three-parts": lambda: "abc.def.ghi",
    "malformed-truncated": lambda: signed(claims())[:-10],
    "malformed-non-ascii": lambda: "é.é.é",
    "missing-sub": lambda: signed(claims(sub=None)),
    "empty-sub": lambda: signed(claims(sub="")),
    "integer-sub": lambda: signed(claims(sub=12345)),
    "list-sub": lambda: signed(claims(sub=[USER_ID])),
    "missing-email": lambda: signed(claims(email=None)),
    "integer-email": lambda: signed(claims(email=1)),
    "missing-exp": lambda: signed(claims(exp=None)),
    "missing-iat": lambda: signed(claims(iat=None)),
    "iat-in-the-future": lambda: signed(claims(iat=datetime.now(UTC) + timedelta(hours=1))),
    "not-yet-valid": lambda: signed(claims(nbf=datetime.now(UTC) + timedelta(hours=1))),
}


def test_issued_token_verifies_as_its_user() -> None:
    issued = issue_token(user_id=USER_ID, email=EMAIL, key=TEST_JWT_KEY, ttl_seconds=60)
    assert verify_token(issued.token, key=TEST_JWT_KEY) == CurrentUser(id=USER_ID, email=EMAIL)


def test_issued_token_expires_after_its_ttl() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    issued = issue_token(user_id=USER_ID, email=EMAIL, key=TEST_JWT_KEY, ttl_seconds=600)
    after = datetime.now(UTC)
    assert issued.expires_at.tzinfo is not None
    assert before + timedelta(seconds=600) <= issued.expires_at <= after + timedelta(seconds=600)
    decoded = jwt.decode(issued.token, TEST_JWT_KEY, algorithms=["HS256"])
    assert decoded["exp"] == int(issued.expires_at.timestamp())
    assert decoded["exp"] - decoded["iat"] == 600
    assert jwt.get_unverified_header(issued.token)["alg"] == "HS256"


def test_issued_token_is_refused_when_verified_with_another_key() -> None:
    issued = issue_token(user_id=USER_ID, email=EMAIL, key=TEST_JWT_KEY, ttl_seconds=60)
    assert verify_token(issued.token, key=OTHER_KEY) is None


def test_hand_built_good_token_verifies() -> None:
    # The control for the table below: its tokens fail for the reason they are named after.
    assert verify_token(signed(claims()), key=TEST_JWT_KEY) == CurrentUser(id=USER_ID, email=EMAIL)


@pytest.mark.parametrize("kind", BAD_TOKENS)
def test_verify_token_returns_none_when_token_is_bad(kind: str) -> None:
    assert verify_token(BAD_TOKENS[kind](), key=TEST_JWT_KEY) is None

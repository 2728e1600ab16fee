"""Any bad session token, as cookie or bearer, simply means "not signed in"."""

from __future__ import annotations

import base64
import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from jwt.warnings import InsecureKeyLengthWarning

from tests.conftest import TEST_JWT_KEY

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"
OTHER_KEY = "another-jwt-key-0123456789abcdef0123456789abcdef"
NOT_SIGNED_IN = {"errors": [{"message": "Not signed in", "field": None}]}


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    email: str
    display_name: str


def claims(account: Account, **changes: Any) -> dict[str, Any]:
    """Good claims for ``account``; a change to ``None`` drops that claim."""
    now = datetime.now(UTC)
    base: dict[str, Any] = {
        "sub": account.id,
        "email": account.email,
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


def with_payload_swapped(account: Account) -> str:
    """A genuine token whose payload is replaced (another user), keeping the signature."""
    header, _, signature = signed(claims(account)).split(".")
    forged = b64(claims(account, sub="0123456789abcdef01234567"))
    return f"{header}.{forged}.{signature}"


def signed_hs512(payload: dict[str, Any]) -> str:
    """Signed with the right key but an algorithm the verifier does not allow."""
    with warnings.catch_warnings():
        # The key is long enough for HS256 only; PyJWT warns about it for HS512.
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)
        return signed(payload, algorithm="HS512")


def past() -> datetime:
    return datetime.now(UTC) - timedelta(hours=1)


BAD_TOKENS: dict[str, Callable[[Account], str]] = {
    "expired": lambda a: signed(claims(a, iat=past() - timedelta(hours=1), exp=past())),
    "wrong-signature": lambda a: signed(claims(a), key=OTHER_KEY),
    "payload-swapped": with_payload_swapped,
    "alg-none": lambda a: jwt.encode(claims(a), "", algorithm="none"),
    "alg-none-hand-made": lambda a: f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims(a))}.",
    "alg-hs512": lambda a: signed_hs512(claims(a)),
    "malformed-text": lambda a: "not-a-token",
    "malformed-three-parts": lambda a: "abc.def.ghi",
    "malformed-truncated": lambda a: signed(claims(a))[:-10],
    "missing-sub": lambda a: signed(claims(a, sub=None)),
    "empty-sub": lambda a: signed(claims(a, sub="")),
    "integer-sub": lambda a: signed(claims(a, sub=12345)),
    "object-sub": lambda a: signed(claims(a, sub={"id": a.id})),
    "missing-email": lambda a: signed(claims(a, email=None)),
    "missing-exp": lambda a: signed(claims(a, exp=None)),
    "missing-iat": lambda a: signed(claims(a, iat=None)),
}


def as_cookie(token: str) -> dict[str, str]:
    return {"Cookie": f"session={token}"}


def as_bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


TRANSPORTS: dict[str, Callable[[str], dict[str, str]]] = {
    "cookie": as_cookie,
    "bearer": as_bearer,
}


@pytest.fixture
async def account(client: httpx.AsyncClient) -> Account:
    """A real user; the client's own session cookie is then dropped."""
    response = await client.post(
        "/api/users/signup",
        json={"email": "ada@example.com", "password": PASSWORD, "displayName": "Ada"},
    )
    assert response.status_code == 201, response.text
    client.cookies.clear()
    body = response.json()
    return Account(id=body["id"], email=body["email"], display_name=body["displayName"])


async def current_user(client: httpx.AsyncClient, headers: dict[str, str]) -> Any:
    response = await client.get("/api/users/currentuser", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_good_token_signs_in(
    client: httpx.AsyncClient, account: Account, transport: str
) -> None:
    # The control for the tests below: tokens built here are accepted when nothing is wrong.
    headers = TRANSPORTS[transport](signed(claims(account)))
    body = await current_user(client, headers)
    assert body == {
        "currentUser": {
            "id": account.id,
            "email": account.email,
            "displayName": account.display_name,
        }
    }
    response = await client.patch("/api/users/me", json={"displayName": "Ada L."}, headers=headers)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("kind", BAD_TOKENS)
async def test_currentuser_is_null_when_token_is_bad(
    client: httpx.AsyncClient, account: Account, kind: str, transport: str
) -> None:
    headers = TRANSPORTS[transport](BAD_TOKENS[kind](account))
    assert await current_user(client, headers) == {"currentUser": None}


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("kind", BAD_TOKENS)
async def test_update_me_is_401_when_token_is_bad(
    client: httpx.AsyncClient, account: Account, kind: str, transport: str
) -> None:
    headers = TRANSPORTS[transport](BAD_TOKENS[kind](account))
    response = await client.patch("/api/users/me", json={"displayName": "Mallory"}, headers=headers)
    assert response.status_code == 401, response.text
    assert response.json() == NOT_SIGNED_IN
    unchanged = await current_user(client, as_bearer(signed(claims(account))))
    assert unchanged["currentUser"]["displayName"] == account.display_name


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(
    "sub", ["0123456789abcdef01234567", "not-an-object-id", "x" * 12, "\u00e9" * 24]
)
async def test_token_is_not_a_session_when_its_user_does_not_exist(
    client: httpx.AsyncClient, account: Account, transport: str, sub: str
) -> None:
    headers = TRANSPORTS[transport](signed(claims(account, sub=sub)))
    assert await current_user(client, headers) == {"currentUser": None}
    response = await client.patch("/api/users/me", json={"displayName": "Ghost"}, headers=headers)
    assert response.status_code == 401, response.text
    assert response.json() == NOT_SIGNED_IN


@pytest.mark.parametrize(
    "authorization",
    ["Bearer", "Basic YWRhOnB3", "Token abc", "bearer not-a-token"],
)
async def test_currentuser_is_null_when_authorization_header_is_bad(
    client: httpx.AsyncClient, account: Account, authorization: str
) -> None:
    assert await current_user(client, {"Authorization": authorization}) == {"currentUser": None}

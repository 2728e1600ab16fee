"""Any bad session token, as cookie or bearer, simply means "not signed in"."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.support.tokens import BAD_TOKENS, UNKNOWN_USER_ID, claims, signed

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"
NOT_SIGNED_IN = {"errors": [{"message": "Not signed in", "field": None}]}


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    email: str
    display_name: str


def good_token(user_id: str, email: str) -> str:
    """Good claims as the auth service issues them: a session id and the generation."""
    return signed(claims(user_id, email, jti=secrets.token_hex(16), gen=0))


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
    headers = TRANSPORTS[transport](good_token(account.id, account.email))
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
    headers = TRANSPORTS[transport](BAD_TOKENS[kind](account.id, account.email))
    assert await current_user(client, headers) == {"currentUser": None}


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("kind", BAD_TOKENS)
async def test_update_me_is_401_when_token_is_bad(
    client: httpx.AsyncClient, account: Account, kind: str, transport: str
) -> None:
    headers = TRANSPORTS[transport](BAD_TOKENS[kind](account.id, account.email))
    response = await client.patch("/api/users/me", json={"displayName": "Mallory"}, headers=headers)
    assert response.status_code == 401, response.text
    assert response.json() == NOT_SIGNED_IN
    unchanged = await current_user(client, as_bearer(good_token(account.id, account.email)))
    assert unchanged["currentUser"]["displayName"] == account.display_name


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("sub", [UNKNOWN_USER_ID, "not-an-object-id", "x" * 12, "\u00e9" * 24])
async def test_token_is_not_a_session_when_its_user_does_not_exist(
    client: httpx.AsyncClient, account: Account, transport: str, sub: str
) -> None:
    headers = TRANSPORTS[transport](signed(claims(sub, account.email, jti="a" * 32, gen=0)))
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


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(
    "changes",
    [
        {"jti": None},
        {"jti": ""},
        {"jti": 7},
        {"gen": None},
        {"gen": 1},
        {"gen": -1},
        {"gen": True},
        {"gen": "0"},
    ],
    ids=["no-jti", "empty-jti", "number-jti", "no-gen", "newer-gen", "negative-gen",
         "bool-gen", "text-gen"],
)  # fmt: skip
async def test_token_without_a_session_id_or_the_users_generation_is_refused(
    client: httpx.AsyncClient, account: Account, transport: str, changes: dict[str, Any]
) -> None:
    base = {"jti": secrets.token_hex(16), "gen": 0}
    headers = TRANSPORTS[transport](
        signed(claims(account.id, account.email, **{**base, **changes}))
    )
    assert await current_user(client, headers) == {"currentUser": None}
    response = await client.patch("/api/users/me", json={"displayName": "Mallory"}, headers=headers)
    assert response.status_code == 401, response.text
    assert response.json() == NOT_SIGNED_IN

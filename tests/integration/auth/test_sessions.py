"""Sessions a thief cannot keep: a password change ends every other session on every
service and on the live socket; tokens of unknown users and tokens without ``jti`` are
refused; old password hashes verify and are rehashed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from argon2 import PasswordHasher
from bson import ObjectId
from pymongo import AsyncMongoClient

from backend.auth.passwords import LIBRARY_DEFAULT, OWASP
from backend.common.auth import issue_token
from backend.common.settings import Settings
from tests.conftest import TEST_JWT_KEY
from tests.support.api import PASSWORD, User
from tests.support.live import LiveClient
from tests.support.live_fixtures import bearer_token
from tests.support.stack import Stack
from tests.support.stack import every_service as stack  # noqa: F401 - live gateway too

pytestmark = pytest.mark.integration

NEW_PASSWORD = "a brand new secret"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def statuses_with(stack_url: str, token: str) -> dict[str, int]:
    """One authenticated request to each service."""
    async with httpx.AsyncClient(base_url=stack_url, timeout=30, headers=bearer(token)) as http:
        me = await http.get("/api/users/currentuser")
        return {
            "auth": 200 if me.json()["currentUser"] else 401,
            "tickets": (await http.get("/api/tickets/mine")).status_code,
            "orders": (await http.get("/api/orders")).status_code,
            "payments": (await http.get(f"/api/payments/{ObjectId()}")).status_code,
        }


async def live_auth(stack_url: str, token: str) -> str:
    client = await LiveClient.open(stack_url)
    try:
        await client.send(op="auth", token=token)
        return str((await client.next())["type"])
    finally:
        await client.close()


async def test_a_password_change_ends_every_other_session_on_every_service(
    stack: Stack,  # noqa: F811
    buyer: User,
) -> None:
    old = await bearer_token(buyer)
    signed_in = {"auth": 200, "tickets": 200, "orders": 200, "payments": 404}
    assert await statuses_with(stack.url, old) == signed_in
    assert await live_auth(stack.url, old) == "authenticated"

    changed = await buyer.http.post(
        "/api/users/password", json={"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}
    )
    assert changed.status_code == 200, changed.text

    refused = {"auth": 401, "tickets": 401, "orders": 401, "payments": 401}
    assert await statuses_with(stack.url, old) == refused
    assert await live_auth(stack.url, old) == "error"
    # The session that changed it goes on: a new token, and its cookie was replaced.
    assert await statuses_with(stack.url, changed.json()["token"]) == signed_in
    assert (await buyer.http.get("/api/orders")).status_code == 200
    # The old password no longer signs in; the new one does.
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        body = {"email": buyer.email, "password": PASSWORD}
        assert (await http.post("/api/users/signin", json=body)).status_code == 401
        body["password"] = NEW_PASSWORD
        assert (await http.post("/api/users/signin", json=body)).status_code == 200


async def test_the_profile_password_change_ends_other_sessions_too(
    stack: Stack,  # noqa: F811
    buyer: User,
) -> None:
    old = await bearer_token(buyer)
    changed = await buyer.http.patch(
        "/api/users/me", json={"currentPassword": PASSWORD, "password": NEW_PASSWORD}
    )
    assert changed.status_code == 200, changed.text
    assert (await statuses_with(stack.url, old))["orders"] == 401
    assert (await buyer.http.get("/api/orders")).status_code == 200  # its new cookie


async def test_a_validly_signed_token_of_an_unknown_user_is_refused(
    stack: Stack,  # noqa: F811
    seller: User,
) -> None:
    ticket = await seller.sell()
    forged = issue_token(
        user_id=str(ObjectId()), email="ghost@example.com", key=TEST_JWT_KEY, ttl_seconds=600
    )
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        order = await http.post(
            "/api/orders", json={"ticketId": ticket["id"]}, headers=bearer(forged.token)
        )
    assert order.status_code == 401
    assert order.json() == {"errors": [{"message": "Not signed in", "field": None}]}
    assert await live_auth(stack.url, forged.token) == "error"


async def test_a_token_without_jti_is_refused(stack: Stack, seller: User) -> None:  # noqa: F811
    now = datetime.now(UTC)
    claims = {
        "sub": seller.id,
        "email": seller.email,
        "iat": now,
        "exp": now + timedelta(hours=1),
        "gen": 0,
    }
    without = jwt.encode(claims, TEST_JWT_KEY, algorithm="HS256")
    with_jti = jwt.encode({**claims, "jti": "a" * 32}, TEST_JWT_KEY, algorithm="HS256")
    assert (await statuses_with(stack.url, with_jti))["orders"] == 200  # the control
    assert (await statuses_with(stack.url, without))["orders"] == 401
    assert await live_auth(stack.url, without) == "error"


async def test_an_old_hash_verifies_and_is_rehashed_on_sign_in(
    stack: Stack,  # noqa: F811
    buyer: User,
    settings: Settings,
    mongo: AsyncMongoClient[dict[str, object]],
) -> None:
    users = mongo[settings.database_name("auth")]["users"]
    legacy = PasswordHasher.from_parameters(LIBRARY_DEFAULT).hash(PASSWORD)
    await users.update_one({"_id": ObjectId(buyer.id)}, {"$set": {"password_hash": legacy}})
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        body = {"email": buyer.email, "password": PASSWORD}
        assert (await http.post("/api/users/signin", json=body)).status_code == 200
        stored = await users.find_one({"_id": ObjectId(buyer.id)})
        assert stored is not None
        rehashed = str(stored["password_hash"])
        assert rehashed != legacy
        assert f"m={OWASP.memory_cost},t={OWASP.time_cost},p={OWASP.parallelism}" in rehashed
        # And the new hash verifies.
        assert (await http.post("/api/users/signin", json=body)).status_code == 200

"""The auth API end to end against the real Redis and Mongo-wire servers."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"


async def signup(client: httpx.AsyncClient, email: str = "Ada@Example.com ") -> httpx.Response:
    return await client.post("/api/users/signup", json={"email": email, "password": PASSWORD})


async def test_signup_sets_cookie_and_currentuser_reads_it(client: httpx.AsyncClient) -> None:
    response = await signup(client)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["email"] == "ada@example.com"
    assert body["displayName"] == "ada"
    assert "password" not in response.text and "passwordHash" not in response.text
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie

    me = await client.get("/api/users/currentuser")
    assert me.json() == {"currentUser": body}


async def test_currentuser_is_null_when_signed_out(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/users/currentuser")
    assert response.status_code == 200
    assert response.json() == {"currentUser": None}


async def test_signout_clears_the_session(client: httpx.AsyncClient) -> None:
    await signup(client)
    response = await client.post("/api/users/signout")
    assert response.status_code == 200
    assert (await client.get("/api/users/currentuser")).json() == {"currentUser": None}


async def test_signin_with_normalised_email(client: httpx.AsyncClient, auth_url: str) -> None:
    await signup(client)
    async with httpx.AsyncClient(base_url=auth_url) as other:
        response = await other.post(
            "/api/users/signin", json={"email": "  ADA@example.COM", "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        me = await other.get("/api/users/currentuser")
        assert me.json()["currentUser"]["email"] == "ada@example.com"


async def test_signin_with_wrong_password_is_refused(client: httpx.AsyncClient) -> None:
    await signup(client)
    response = await client.post(
        "/api/users/signin", json={"email": "ada@example.com", "password": "wrong password"}
    )
    assert response.status_code == 401
    assert response.json() == {"errors": [{"message": "Invalid email or password", "field": None}]}


async def test_token_works_as_bearer(client: httpx.AsyncClient, auth_url: str) -> None:
    await signup(client)
    response = await client.post(
        "/api/users/token", json={"email": "ada@example.com", "password": PASSWORD}
    )
    assert response.status_code == 200
    token = response.json()["token"]
    assert response.json()["expiresAt"].endswith("Z") or "+00:00" in response.json()["expiresAt"]
    async with httpx.AsyncClient(base_url=auth_url) as bot:
        me = await bot.get("/api/users/currentuser", headers={"Authorization": f"Bearer {token}"})
        assert me.json()["currentUser"]["email"] == "ada@example.com"


async def test_repeated_failed_signins_are_throttled(client: httpx.AsyncClient) -> None:
    await signup(client)
    wrong = {"email": "ada@example.com", "password": "wrong password"}
    statuses = [(await client.post("/api/users/signin", json=wrong)).status_code for _ in range(5)]
    assert statuses == [401] * 5
    blocked = await client.post(
        "/api/users/signin", json={"email": "ada@example.com", "password": PASSWORD}
    )
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    assert "Too many sign-in attempts" in blocked.json()["errors"][0]["message"]


async def test_update_display_name(client: httpx.AsyncClient) -> None:
    await signup(client)
    response = await client.patch("/api/users/me", json={"displayName": "Ada L."})
    assert response.status_code == 200, response.text
    assert response.json()["displayName"] == "Ada L."
    me = await client.get("/api/users/currentuser")
    assert me.json()["currentUser"]["displayName"] == "Ada L."


async def test_password_change_needs_the_current_password(client: httpx.AsyncClient) -> None:
    await signup(client)
    refused = await client.patch(
        "/api/users/me", json={"password": "new password 1", "currentPassword": "nope nope"}
    )
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "currentPassword"
    changed = await client.patch(
        "/api/users/me", json={"password": "new password 1", "currentPassword": PASSWORD}
    )
    assert changed.status_code == 200
    old = await client.post(
        "/api/users/signin", json={"email": "ada@example.com", "password": PASSWORD}
    )
    assert old.status_code == 401
    new = await client.post(
        "/api/users/signin", json={"email": "ada@example.com", "password": "new password 1"}
    )
    assert new.status_code == 200


async def test_update_me_needs_a_session(client: httpx.AsyncClient) -> None:
    response = await client.patch("/api/users/me", json={"displayName": "x"})
    assert response.status_code == 401
    assert response.json() == {"errors": [{"message": "Not signed in", "field": None}]}

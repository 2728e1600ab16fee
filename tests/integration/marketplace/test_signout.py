"""Signing out ends that session everywhere: the token it used stops working on every
service and on the live gateway, while the user's other sessions and new ones go on."""

from __future__ import annotations

import httpx
import pytest

from tests.support.api import PASSWORD, User, ticket_body
from tests.support.live import LiveClient
from tests.support.live_fixtures import bearer_token
from tests.support.stack import Stack

pytestmark = pytest.mark.integration


async def who(stack: Stack, token: str) -> object:
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        response = await http.get(
            "/api/users/currentuser", headers={"Authorization": f"Bearer {token}"}
        )
    assert response.status_code == 200, response.text
    return response.json()["currentUser"]


async def sell_with(stack: Stack, token: str) -> int:
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        response = await http.post(
            "/api/tickets", json=ticket_body(), headers={"Authorization": f"Bearer {token}"}
        )
    return response.status_code


async def sign_out(stack: Stack, token: str) -> None:
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        response = await http.post(
            "/api/users/signout", headers={"Authorization": f"Bearer {token}"}
        )
    assert response.status_code == 200, response.text


async def test_a_signed_out_token_is_refused_by_every_service(stack: Stack, seller: User) -> None:
    token, other_session = await bearer_token(seller), await bearer_token(seller)
    assert await sell_with(stack, token) == 201

    await sign_out(stack, token)

    assert await who(stack, token) is None
    assert await sell_with(stack, token) == 401
    assert await sell_with(stack, other_session) == 201  # the user's other session goes on
    assert await sell_with(stack, await bearer_token(seller)) == 201  # and so do new ones


async def test_a_signed_out_token_cannot_follow_private_live_topics(
    stack: Stack, seller: User
) -> None:
    token = await bearer_token(seller)
    await sign_out(stack, token)

    by_header = await LiveClient.open(stack.url, token=token)
    try:
        await by_header.subscribe("me")
        assert "sign" in (await by_header.until("error"))["message"].lower()
        await by_header.send(op="auth", token=token)
        assert (await by_header.until("error"))["message"] == "invalid or expired token"
    finally:
        await by_header.close()


async def test_signing_out_a_browser_ends_the_session_its_cookie_carried(
    stack: Stack, seller: User
) -> None:
    cookie = seller.http.cookies["session"]
    signed_out = await seller.http.post("/api/users/signout")
    assert signed_out.status_code == 200

    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as browser:
        browser.cookies.set("session", cookie)
        assert (await browser.get("/api/users/currentuser")).json()["currentUser"] is None
    signed_in = await seller.http.post(
        "/api/users/signin", json={"email": seller.email, "password": PASSWORD}
    )
    assert signed_in.status_code == 200
    assert (await seller.http.get("/api/users/currentuser")).json()["currentUser"] is not None

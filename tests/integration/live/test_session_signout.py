"""Ending a session closes the live sockets it opened: sign-out closes that session's
sockets (and no other), a password change closes every other session's."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from backend.live.connection import SESSION_ENDED_REASON, SLOW_CLIENT_CODE
from tests.support.api import PASSWORD, User, eventually
from tests.support.live import LiveClient
from tests.support.live_fixtures import bearer_token
from tests.support.stack import Stack

pytestmark = pytest.mark.integration


async def watching_me(stack: Stack, token: str) -> LiveClient:
    client = await LiveClient.open(stack.url, token=token)
    await client.subscribe("me")
    await client.until("snapshot", topic="me")
    await client.until("subscribed")
    return client


async def closed(client: LiveClient, timeout: float = 10.0) -> tuple[int | None, str | None]:
    await asyncio.wait_for(client.conn.wait_closed(), timeout)
    return client.conn.close_code, client.conn.close_reason


async def test_sign_out_closes_that_sessions_me_socket_and_no_other(
    stack: Stack, seller: User, buyer: User
) -> None:
    bot_token = await bearer_token(buyer)
    bot = await watching_me(stack, bot_token)
    browser = await watching_me(stack, buyer.http.cookies["session"])
    try:
        async with httpx.AsyncClient(base_url=stack.url, timeout=30) as bot_http:
            signed_out = await bot_http.post(
                "/api/users/signout", headers={"Authorization": f"Bearer {bot_token}"}
            )
        assert signed_out.status_code == 200
        assert await closed(bot) == (SLOW_CLIENT_CODE, SESSION_ENDED_REASON)
        # The buyer's other session (the browser's cookie) goes on: it sees its order.
        ticket = await seller.sell()
        order = await eventually(lambda: buyer.buy(ticket["id"]), lambda r: r.status_code != 404)
        assert order.status_code == 201, order.text
        created = await browser.until("order.created")
        assert created["orderId"] == order.json()["id"]
        assert (await buyer.http.delete(f"/api/orders/{order.json()['id']}")).status_code == 200
        await browser.until("order.cancelled")
        # Nothing reached the signed-out socket after it closed.
        assert not [m for m in bot.seen if str(m.get("type", "")).startswith("order.")]
        # And that token opens no new `me` socket.
        again = await LiveClient.open(stack.url)
        try:
            await again.send(op="auth", token=bot_token)
            assert (await again.next())["type"] == "error"
        finally:
            await again.close()
    finally:
        await bot.close()
        await browser.close()


async def test_password_change_closes_every_other_sessions_socket(
    stack: Stack, buyer: User
) -> None:
    bot_token = await bearer_token(buyer)
    bot = await watching_me(stack, bot_token)
    try:
        changed = await buyer.http.post(
            "/api/users/password",
            json={"currentPassword": PASSWORD, "newPassword": "a brand new secret"},
        )
        assert changed.status_code == 200, changed.text
        assert await closed(bot) == (SLOW_CLIENT_CODE, SESSION_ENDED_REASON)
        # The session that changed it goes on with its new token.
        fresh = await watching_me(stack, changed.json()["token"])
        await fresh.close()
    finally:
        await bot.close()

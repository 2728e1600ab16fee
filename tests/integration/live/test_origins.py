"""Another site's page may not use a signed-in user's cookie: the live WebSocket and the
state-changing REST calls refuse a foreign ``Origin``; bots (no Origin) stay welcome."""

from __future__ import annotations

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.support.api import PASSWORD, User, ticket_body
from tests.support.errors import error_items
from tests.support.live import LiveClient
from tests.support.stack import Stack

pytestmark = pytest.mark.integration

PUBLIC = "http://localhost:8000"  # the settings' PUBLIC_URL
EVIL = "https://evil.example"


def live_url(stack: Stack) -> str:
    return "ws" + stack.url.removeprefix("http") + "/api/live"


async def test_live_handshake_with_a_foreign_origin_is_refused(stack: Stack) -> None:
    async with User(stack.url, "victim") as victim:
        cookie = f"session={victim.http.cookies['session']}"
        with pytest.raises(InvalidStatus) as refused:
            await connect(live_url(stack), additional_headers={"Origin": EVIL, "Cookie": cookie})
        assert refused.value.response.status_code == 403
        # Straight to the service too, not only through the gateway.
        direct = "ws" + stack.services["live"].removeprefix("http") + "/api/live"
        with pytest.raises(InvalidStatus) as refused:
            await connect(direct, additional_headers={"Origin": "null", "Cookie": cookie})
        assert refused.value.response.status_code == 403


async def test_live_handshake_without_origin_or_from_the_public_origin_is_accepted(
    stack: Stack,
) -> None:
    async with User(stack.url, "browser") as user:
        cookie = f"session={user.http.cookies['session']}"
        for headers in ({}, {"Origin": PUBLIC, "Cookie": cookie}):
            conn = await connect(live_url(stack), additional_headers=headers)
            client = LiveClient(conn)
            try:
                await client.subscribe("me" if headers else "tickets")
                assert (await client.until("subscribed"))["type"] == "subscribed"
            finally:
                await client.close()


async def test_state_changing_request_with_a_foreign_origin_is_refused(stack: Stack) -> None:
    async with User(stack.url, "victim") as victim:
        refused = await victim.http.post(
            "/api/tickets", json=ticket_body(), headers={"Origin": EVIL}
        )
        assert refused.status_code == 403
        [item] = error_items(refused, 403)  # the common error body, strictly
        assert item["field"] is None
        assert "origin" in item["message"].lower()
        mine = await victim.http.get("/api/tickets/mine", headers={"Origin": EVIL})
        assert mine.status_code == 200  # reading is not refused (CORS keeps it private)
        assert mine.json()["items"] == []  # and nothing was listed
        # Same origin, and no Origin at all (bots, curl): accepted.
        listed = await victim.http.post(
            "/api/tickets", json=ticket_body(), headers={"Origin": PUBLIC}
        )
        assert listed.status_code == 201, listed.text
    async with httpx.AsyncClient(base_url=stack.url) as bot:
        signup = {"email": "bot-origin@example.com", "password": PASSWORD}
        assert (await bot.post("/api/users/signup", json=signup)).status_code == 201
        signin = await bot.post("/api/users/signin", json=signup, headers={"Origin": EVIL})
        assert signin.status_code == 403

"""How a tab's live connection follows the page on screen (``ticketing_ui.live.follow``):
an event page's ``event:<id>`` topic, the market's ``tickets`` elsewhere — switched on the
same connection, and resumed with ``since`` after a reconnection only for the topics
whose subscription was confirmed (the others start again from a snapshot). The gateway
here is a stand-in that records what the client sends."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve

from ticketing_ui import live
from wire.live import AnyFrame

pytestmark = pytest.mark.unit

EVENT = "event:66a1b2c3d4e5f60718293a4c"
PING = {"type": "ping"}


class Gateway:
    """Hands each connection to the test and queues every frame the client sends."""

    def __init__(self) -> None:
        self.connections: asyncio.Queue[ServerConnection] = asyncio.Queue()
        self.received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def handler(self, ws: ServerConnection) -> None:
        await self.connections.put(ws)
        async for raw in ws:
            await self.received.put(json.loads(raw))


@pytest.fixture
async def gateway(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Gateway]:
    stand_in = Gateway()
    async with serve(stand_in.handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        monkeypatch.setattr(live, "live_url", lambda: f"ws://127.0.0.1:{port}/api/live")
        yield stand_in


def snapshot(topic: str, cursor: int) -> dict[str, Any]:
    return {"type": "snapshot", "topic": topic, "cursor": cursor, "tickets": []}


async def answer(ws: ServerConnection, messages: AsyncIterator[AnyFrame], *frames: Any) -> None:
    """The gateway sends ``frames``; the client reads them."""
    for frame in frames:
        await ws.send(json.dumps(frame))
        assert (await anext(messages)).type == frame["type"]


async def test_the_topics_switch_on_the_connection_and_resume_after_a_reconnection(
    gateway: Gateway,
) -> None:
    page = [EVENT]
    async with (
        asyncio.timeout(10),
        aclosing(live.follow(lambda: page, "", lambda: True)) as messages,
    ):
        first = asyncio.ensure_future(anext(messages))
        ws = await gateway.connections.get()
        assert await gateway.received.get() == {"op": "subscribe", "topics": [EVENT]}
        await ws.send(json.dumps(snapshot(EVENT, 5)))
        assert (await first).type == "snapshot"
        await answer(ws, messages, {"type": "subscribed", "topics": [EVENT]})

        page = ["tickets"]  # the tab went to another page
        switched = asyncio.ensure_future(anext(messages))
        assert await gateway.received.get() == {"op": "unsubscribe", "topics": [EVENT]}
        assert await gateway.received.get() == {"op": "subscribe", "topics": ["tickets"]}
        await ws.send(json.dumps(snapshot("tickets", 7)))
        assert (await switched).type == "snapshot"
        await answer(ws, messages, {"type": "subscribed", "topics": ["tickets"]})

        await ws.close()
        again = asyncio.ensure_future(anext(messages))
        ws = await gateway.connections.get()
        assert await gateway.received.get() == {
            "op": "subscribe",
            "topics": ["tickets"],
            "since": 7,
        }
        await ws.send(json.dumps(PING))
        assert (await again).type == "ping"


async def test_a_topic_not_confirmed_before_the_connection_dropped_starts_from_a_snapshot(
    gateway: Gateway,
) -> None:
    page = ["tickets"]
    async with (
        asyncio.timeout(10),
        aclosing(live.follow(lambda: [*page, "me"], "a-token", lambda: True)) as messages,
    ):
        first = asyncio.ensure_future(anext(messages))
        ws = await gateway.connections.get()
        assert await gateway.received.get() == {"op": "subscribe", "topics": ["tickets", "me"]}
        await ws.send(json.dumps(snapshot("tickets", 3)))
        await first
        await answer(ws, messages, {"type": "subscribed", "topics": ["tickets", "me"]})

        page = [EVENT]  # an event page opens; the connection drops before its snapshot
        switched = asyncio.ensure_future(anext(messages))
        assert await gateway.received.get() == {"op": "unsubscribe", "topics": ["tickets"]}
        assert await gateway.received.get() == {"op": "subscribe", "topics": [EVENT]}
        await ws.close()
        ws = await gateway.connections.get()
        resumed = await gateway.received.get()
        fresh = await gateway.received.get()
        assert resumed == {"op": "subscribe", "topics": ["me"], "since": 3}
        assert fresh == {"op": "subscribe", "topics": [EVENT]}
        await ws.send(json.dumps(PING))
        assert (await switched).type == "ping"

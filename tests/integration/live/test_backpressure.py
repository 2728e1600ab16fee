"""A client that stops reading is dropped with 4008 once its bounded queue overflows; the
gateway and its other clients carry on.

The stalled client reads its snapshot, then nothing: its small receive buffer and the
server's socket buffer fill with large messages, the server's sends block, its queue of 5
overflows. The producer goes one message at a time, each read by the fast client before
the next, so the fast client never lags. ``CloseSpy`` tells the moment the gateway decides
to close, which the stalled client cannot see until it reads again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from backend.common.settings import Settings
from backend.live.app import create_app
from backend.live.connection import SLOW_CLIENT_CODE
from backend.live.journal import Journal
from tests.support.live import LiveClient
from tests.support.live_fixtures import (
    CloseSpy,
    Frame,
    cursors,
    filler,
    journal_of,
    open_stalled,
    read_to_cursor,
    subscribe,
)
from tests.support.servers import serve

pytestmark = pytest.mark.integration

QUEUE_SIZE = 5
PADDING = 256 * 1024  # bytes per message: a few dozen fill the socket buffers
MAX_MESSAGES = 400  # ~100 MB: far beyond any buffering between us and the gateway


class Gateway:
    def __init__(self, url: str, spy: CloseSpy, journal: Journal) -> None:
        self.url = url
        self.spy = spy
        self.journal = journal


@pytest.fixture
async def gateway(settings: Settings, redis: Redis) -> AsyncIterator[Gateway]:
    settings = settings.model_copy(update={"live_queue_size": QUEUE_SIZE})
    spy = CloseSpy(create_app(settings))
    async with serve(spy) as url:
        yield Gateway(url, spy, journal_of(redis, settings))


@pytest.fixture
async def fast(gateway: Gateway) -> AsyncIterator[LiveClient]:
    """A client that reads everything at once, subscribed to the market."""
    client = await LiveClient.open(gateway.url)
    await subscribe(client, "tickets")
    yield client
    await client.close()


async def stall(gateway: Gateway, fast: LiveClient) -> tuple[ClientConnection, int]:
    """Subscribe a stalled client, then produce until the gateway closes it; returns it
    and how many messages were produced."""
    stalled = await open_stalled(gateway.url)
    await stalled.send(json.dumps({"op": "subscribe", "topics": ["tickets"]}))
    for expected in ("snapshot", "subscribed"):  # the last it reads for now
        assert json.loads(await asyncio.wait_for(stalled.recv(), 10))["type"] == expected
    produced = 0
    while not gateway.spy.closed.is_set():
        assert produced < MAX_MESSAGES, "the stalled client was never dropped"
        produced += 1
        assert await gateway.journal.append(filler(produced, padding=PADDING)) == produced
        await read_to_cursor(fast, produced)
    return stalled, produced


async def drain(conn: ClientConnection) -> list[Frame]:
    """Read what is left, up to the close."""
    frames: list[Frame] = []

    async def read_all() -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in conn:
                frames.append(json.loads(raw))

    await asyncio.wait_for(read_all(), 30)
    return frames


async def test_a_stalled_client_is_closed_with_4008_while_a_fast_one_gets_everything(
    gateway: Gateway, fast: LiveClient
) -> None:
    stalled, produced = await stall(gateway, fast)
    assert gateway.spy.codes == [SLOW_CLIENT_CODE]

    # Reading again, it gets what was on its way, then the close with the reason.
    received = await drain(stalled)
    assert stalled.close_code == SLOW_CLIENT_CODE
    assert "slow" in (stalled.close_reason or "")
    # A gap-free beginning, cut short: nothing was sent once it was dropped.
    assert cursors(received) == list(range(1, len(received) + 1))
    assert len(received) < produced

    # The fast client got everything and keeps going.
    for more in range(1, 4):
        await gateway.journal.append(filler(produced + more))
    await read_to_cursor(fast, produced + 3)
    assert cursors(fast.seen) == list(range(1, produced + 4))


async def test_a_stalled_client_reading_later_still_learns_it_was_dropped_as_slow(
    gateway: Gateway, fast: LiveClient
) -> None:
    stalled, _ = await stall(gateway, fast)
    await asyncio.sleep(2.0)  # a slow reader: it gets round to reading 2 s later
    await drain(stalled)
    assert stalled.close_code == SLOW_CLIENT_CODE

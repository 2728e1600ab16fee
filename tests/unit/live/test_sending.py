"""How a live client's frames leave: at once when the socket takes them, in order behind
a send the socket makes wait, dropped past the queue, and a send that fails ends the
connection. The socket is a stand-in for Starlette's ``WebSocket`` whose sends wait while
it is ``full``, as uvicorn's wait while the transport is paused."""

from __future__ import annotations

import asyncio
from typing import cast

import pytest
from starlette.websockets import WebSocket, WebSocketDisconnect

from backend.live.connection import LiveClient
from backend.live.journal import Delivery, Journal

pytestmark = pytest.mark.unit

TICKET, EVENT = "a" * 24, "b" * 24


class Socket:
    def __init__(self) -> None:
        self.sent: list[str] = []
        self.room = asyncio.Event()  # cleared: the socket's buffer is full
        self.room.set()
        self.gone = False

    async def send_text(self, text: str) -> None:
        await self.room.wait()
        if self.gone:
            raise WebSocketDisconnect(1006)
        self.sent.append(text)


def client_on(socket: Socket, *, queue_size: int = 3) -> LiveClient:
    client = LiveClient(
        cast(WebSocket, socket),
        cast(Journal, None),  # routing and sending read no journal
        user=None,
        jwt_key="unused",
        queue_size=queue_size,
        max_frame_bytes=4096,
    )
    client.topics = {"tickets": 0}
    return client


def message(cursor: int) -> Delivery:
    return Delivery(cursor, TICKET, frozenset(), True, f'{{"cursor":{cursor}}}', EVENT)


async def test_a_frame_goes_out_in_the_offer_itself_when_the_socket_takes_it() -> None:
    socket = Socket()
    client = client_on(socket)

    for cursor in (1, 2, 3):
        client.offer(message(cursor))
        # Sent before anything else could run: no task waits to be scheduled for it.
        assert socket.sent[-1] == f'{{"cursor":{cursor}}}'

    assert not client.broken.is_set() and client.dropped is None


async def test_frames_wait_in_order_behind_a_send_the_socket_holds_up() -> None:
    socket = Socket()
    client = client_on(socket, queue_size=3)
    socket.room.clear()

    for cursor in (1, 2, 3, 4):  # one on its way, three queued: the queue is full, not over
        client.offer(message(cursor))
    await asyncio.sleep(0.01)
    assert socket.sent == []

    socket.room.set()
    for _ in range(10):
        await asyncio.sleep(0)
    assert socket.sent == [f'{{"cursor":{c}}}' for c in (1, 2, 3, 4)]
    client.offer(message(5))  # nothing on its way again: out at once
    assert socket.sent[-1] == '{"cursor":5}'
    assert client.dropped is None


async def test_a_client_that_falls_further_behind_than_its_queue_is_dropped() -> None:
    socket = Socket()
    client = client_on(socket, queue_size=3)
    socket.room.clear()

    for cursor in range(1, 6):  # one on its way, three queued, the fifth overflows
        client.offer(message(cursor))

    assert client.dropped is not None and "slow" in client.dropped
    assert client.dropped_event.is_set()
    socket.room.set()
    for _ in range(10):
        await asyncio.sleep(0)
    # What was on its way went out; nothing after the drop did.
    assert socket.sent == ['{"cursor":1}']
    client.offer(message(6))
    assert socket.sent == ['{"cursor":1}']


async def test_a_send_that_fails_ends_the_connection_and_nothing_more_is_sent() -> None:
    socket = Socket()
    client = client_on(socket)
    client.offer(message(1))
    socket.gone = True

    client.offer(message(2))

    assert client.broken.is_set()
    socket.gone = False
    client.offer(message(3))
    assert socket.sent == ['{"cursor":1}']


async def test_stopping_gives_up_a_send_the_socket_holds_up() -> None:
    socket = Socket()
    client = client_on(socket)
    socket.room.clear()
    client.offer(message(1))
    client.offer(message(2))

    client.stop()
    socket.room.set()
    for _ in range(10):
        await asyncio.sleep(0)

    assert socket.sent == []
    assert client.broken.is_set()

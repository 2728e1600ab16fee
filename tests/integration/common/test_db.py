"""A MongoDB connect cancelled half way leaves no socket open (``backend/common/db.py``),
on real loopback sockets."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import Iterator

import pytest
from pymongo import pool_shared
from pymongo.pool_options import PoolOptions

from backend.common.db import close_cancelled_connects

pytestmark = pytest.mark.integration


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture
def full_server() -> Iterator[socket.socket]:
    """A listening socket whose accept queue is full: a new connect to it waits (its SYN
    is dropped and sent again about a second later) until the queue is drained."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(server.getsockname())
        fillers.append(filler)
    yield server
    for filler in fillers:
        filler.close()
    server.close()


def drain(server: socket.socket) -> list[socket.socket]:
    server.setblocking(False)
    accepted = []
    while True:
        try:
            accepted.append(server.accept()[0])
        except BlockingIOError:
            return accepted


async def test_a_connect_cancelled_while_it_waits_closes_its_socket_once_connected(
    full_server: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cancellation comes while the connection is under way; the connection is then
    made (the queue drained); its socket must not stay open."""
    monkeypatch.setattr(
        pool_shared, "_async_create_connection", pool_shared._async_create_connection
    )
    assert close_cancelled_connects()
    assert close_cancelled_connects()  # applied once, not wrapped twice
    before = open_fds()
    connecting = asyncio.ensure_future(
        pool_shared._async_create_connection(
            full_server.getsockname(), PoolOptions(connect_timeout=10)
        )
    )
    for _ in range(2_000):  # the address is looked up first, in a thread
        if open_fds() > before:
            break
        await asyncio.sleep(0.001)
    await asyncio.sleep(0.05)
    assert open_fds() == before + 1, "the connect should be waiting on its socket"
    connecting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await connecting
    accepted = drain(full_server)  # room again: the waiting connect gets through
    try:
        for _ in range(400):
            accepted += drain(full_server)
            if open_fds() == before + len(accepted):
                break
            await asyncio.sleep(0.01)
        assert accepted, "the connect never got through"
        assert open_fds() == before + len(accepted)  # ours closed: only the server's ends
    finally:
        for end in accepted:
            end.close()

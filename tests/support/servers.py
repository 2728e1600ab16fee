"""Serve ASGI apps with uvicorn inside the test's event loop, each on a free loopback port.

Several apps start one after another (in-process services share Beanie's document
classes: their start-up stays in a fixed order) and stop together: uvicorn notices a
stop request on its next 0.1 s tick and then pauses 0.1 s for connections to finish, so
stopping a stack's servers one by one cost about 0.2 s each, for every test.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import uvicorn
from starlette.types import ASGIApp


def bound_socket() -> socket.socket:
    """A loopback socket bound to a free port, held until its server listens on it (a
    port only looked up and bound later can be taken meanwhile, e.g. as the local port of
    an outgoing connection)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit it. Without it small answers wait for the client's
    # delayed ACK (Nagle): 40 ms a request, where uvicorn binding by itself gives < 1 ms.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()
    return f"http://{host}:{port}"


def _server(app: ASGIApp) -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        log_level="warning",
        lifespan="on",
        # What the services run: uvicorn's "auto" picks websockets' sans-I/O protocol.
        ws="websockets-sansio",
        timeout_keep_alive=30,
    )
    return uvicorn.Server(config)


@asynccontextmanager
async def serve_on(apps: Sequence[tuple[ASGIApp, socket.socket]]) -> AsyncIterator[list[str]]:
    """Serve each ``(app, socket)`` (lifespans included), in order; yields their base URLs
    once every one has started, and stops them all at once."""
    servers: list[uvicorn.Server] = []
    tasks: list[asyncio.Task[None]] = []
    try:
        for app, sock in apps:
            servers.append(_server(app))
            tasks.append(asyncio.create_task(servers[-1].serve(sockets=[sock])))
            while not servers[-1].started:
                if tasks[-1].done():
                    tasks[-1].result()
                    raise RuntimeError("server stopped during startup")
                await asyncio.sleep(0.01)
        yield [url_of(sock) for _, sock in apps]
    finally:
        for server in servers:
            server.should_exit = True
        results = await asyncio.gather(*tasks, return_exceptions=True)
        for _, sock in apps:  # also those of servers that never started
            sock.close()
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            raise errors[0]


@asynccontextmanager
async def serve(app: ASGIApp) -> AsyncIterator[str]:
    """Yield the base URL while ``app`` runs (lifespan included) on a real socket."""
    async with serve_on([(app, bound_socket())]) as (url,):
        yield url

"""Serve ASGI apps with uvicorn inside the test's event loop, each on a free loopback port.

Several apps start one after another (in-process services share Beanie's document
classes: their start-up stays in a fixed order) and stop together: uvicorn notices a
stop request on its next 0.1 s tick and then pauses 0.1 s for connections to finish, so
stopping a stack's servers one by one cost about 0.2 s each, for every test.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import uvicorn
from starlette.types import ASGIApp

from tools.devstack.processes import free_port


def _server(app: ASGIApp, port: int) -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        ws="wsproto",
        timeout_keep_alive=30,
    )
    return uvicorn.Server(config)


@asynccontextmanager
async def serve_on(apps: Sequence[tuple[ASGIApp, int]]) -> AsyncIterator[list[str]]:
    """Serve each ``(app, port)`` (lifespans included), in order; yields their base URLs
    once every one has started, and stops them all at once."""
    servers: list[uvicorn.Server] = []
    tasks: list[asyncio.Task[None]] = []
    try:
        for app, port in apps:
            servers.append(_server(app, port))
            tasks.append(asyncio.create_task(servers[-1].serve()))
            while not servers[-1].started:
                if tasks[-1].done():
                    tasks[-1].result()
                    raise RuntimeError("server stopped during startup")
                await asyncio.sleep(0.01)
        yield [f"http://127.0.0.1:{port}" for _, port in apps]
    finally:
        for server in servers:
            server.should_exit = True
        results = await asyncio.gather(*tasks, return_exceptions=True)
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            raise errors[0]


@asynccontextmanager
async def serve(app: ASGIApp) -> AsyncIterator[str]:
    """Yield the base URL while ``app`` runs (lifespan included) on a real socket."""
    async with serve_on([(app, free_port())]) as (url,):
        yield url

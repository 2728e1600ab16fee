"""``GET /api/live``: the WebSocket endpoint."""

from __future__ import annotations

import asyncio
import contextlib
from typing import cast

import structlog
from redis.exceptions import RedisError
from starlette.websockets import WebSocket, WebSocketDisconnect

from backend.common.auth import Revocations, current_user
from backend.common.runtime import runtime_of
from backend.live.connection import (
    SLOW_CLIENT_CODE,
    SLOW_CLOSE_GRACE_SECONDS,
    LiveClient,
    frame,
)
from backend.live.hub import Hub
from backend.live.journal import Journal
from wire.live import ErrorFrame, Heartbeat

log = structlog.get_logger(__name__)


async def _receive_loop(websocket: WebSocket, client: LiveClient, ping_s: float) -> None:
    while True:
        try:
            message = await asyncio.wait_for(websocket.receive(), ping_s)
        except TimeoutError:
            client.offer_control(frame(Heartbeat(type="ping")))
            continue
        if message["type"] == "websocket.disconnect":
            return
        text = message.get("text")
        if text is None:
            client.offer_control(frame(ErrorFrame(message="binary frames are not supported")))
            continue
        try:
            await client.handle(text)
        except (RedisError, OSError):
            # Our trouble, not the client's: say so and keep the connection.
            log.exception("live.operation_failed")
            client.offer_control(frame(ErrorFrame(message="temporary server error; retry")))


async def live(websocket: WebSocket) -> None:
    settings = runtime_of(websocket).settings
    hub = cast(Hub, websocket.state.hub)
    await websocket.accept()
    client = LiveClient(
        websocket,
        cast(Journal, websocket.state.journal),
        user=current_user(websocket),
        jwt_key=settings.jwt_key,
        queue_size=settings.live_queue_size,
        max_frame_bytes=settings.live_max_frame_bytes,
        revocations=Revocations(runtime_of(websocket).redis, runtime_of(websocket).keys),
    )
    hub.add(client)
    tasks = [
        asyncio.create_task(_receive_loop(websocket, client, settings.live_ping_seconds)),
        asyncio.create_task(client.dropped_event.wait()),
        asyncio.create_task(client.broken.wait()),
    ]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        hub.discard(client)
        client.stop()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    if client.dropped is not None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(
                websocket.close(SLOW_CLIENT_CODE, client.dropped), SLOW_CLOSE_GRACE_SECONDS
            )
    else:
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await websocket.close()

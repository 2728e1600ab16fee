"""broadcaster's backend for Redis pub/sub, closing cleanly.

broadcaster 0.3.1's own Redis backend closes its connection while its listener task is
still reading; the read fails, redis-py reconnects, and that connection is never closed.
This one reads in ``next_published`` itself and stops the reader before closing.
"""

from __future__ import annotations

import asyncio
import contextlib

from broadcaster import BroadcastBackend, Event
from redis.asyncio import Redis


class RedisPubSubBackend(BroadcastBackend):
    def __init__(self, url: str) -> None:
        self._redis = Redis.from_url(url, decode_responses=True)
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        self._reader: asyncio.Task[object] | None = None

    async def connect(self) -> None:
        await self._redis.ping()  # type: ignore[misc]  # redis-py 7 stubs: sync|async union

    async def disconnect(self) -> None:
        # Stop the task reading (broadcaster's listener) before closing: a read cut off
        # by the close would reconnect, and that connection would never be closed.
        reader = self._reader
        if reader is not None and reader is not asyncio.current_task() and not reader.done():
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
        await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        await self._redis.aclose()

    async def subscribe(self, group: str) -> None:
        await self._pubsub.subscribe(group)

    async def unsubscribe(self, group: str) -> None:
        await self._pubsub.unsubscribe(group)

    async def publish(self, channel: str, message: object) -> None:
        await self._redis.publish(channel, str(message))

    async def next_published(self) -> Event:
        self._reader = asyncio.current_task()
        while True:
            if not self._pubsub.subscribed:
                await asyncio.sleep(0.05)
                continue
            message = await self._pubsub.get_message(timeout=1.0)
            if message is not None and message["type"] == "message":
                return Event(channel=str(message["channel"]), message=str(message["data"]))

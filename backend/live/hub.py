"""One gateway replica's fan-out: journaled messages in cursor order to its clients.

Messages arrive over broadcaster's Redis pub/sub; a cursor that skips ahead (a lost or
reordered publication, a reconnect) is filled from the journal's stream, and an idle
channel is checked against the journal's cursor every second, so a client never misses
a message because pub/sub did.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Protocol

import structlog
from broadcaster import Broadcast
from redis.exceptions import RedisError

from backend.live.journal import Delivery, Journal

log = structlog.get_logger(__name__)

CHECK_EVERY_S = 1.0


class Recipient(Protocol):
    def offer(self, delivery: Delivery) -> None: ...


class Hub:
    def __init__(self, journal: Journal, broadcast: Broadcast, channel: str) -> None:
        self.journal = journal
        self.broadcast = broadcast
        self.channel = channel
        self.clients: set[Recipient] = set()
        self.last = 0
        self.delivered = 0

    def add(self, client: Recipient) -> None:
        self.clients.add(client)

    def discard(self, client: Recipient) -> None:
        self.clients.discard(client)

    async def run(self) -> None:
        """Follow the channel until cancelled; Redis trouble only pauses it."""
        connected = False
        try:
            while True:
                try:
                    if not connected:
                        self.last = max(self.last, await self.journal.cursor())
                        await self.broadcast.connect()
                        connected = True
                    await self._follow()
                except (RedisError, OSError):
                    log.exception("live.hub_channel_failed")
                    with contextlib.suppress(RedisError, OSError):
                        await self.catch_up()
                    await asyncio.sleep(CHECK_EVERY_S)
        finally:
            if connected:
                await self.broadcast.disconnect()

    async def _follow(self) -> None:
        async with self.broadcast.subscribe(self.channel) as subscriber:
            await self.catch_up()  # whatever was published before we subscribed
            while True:
                event = None
                with contextlib.suppress(TimeoutError):
                    event = await asyncio.wait_for(subscriber.get(), CHECK_EVERY_S)
                if event is None:
                    await self.catch_up()
                    continue
                delivery = Delivery.from_channel(event.message)
                if delivery.cursor <= self.last:
                    continue
                if delivery.cursor > self.last + 1:
                    await self.catch_up(until=delivery.cursor - 1)
                self._dispatch(delivery)

    async def catch_up(self, until: int | None = None) -> None:
        """Deliver from the journal everything after ``last`` (up to ``until``)."""
        backlog = await self.journal.since(self.last)
        if backlog is None:  # trimmed: nothing to do but move on
            self.last = await self.journal.cursor() if until is None else until
            return
        for delivery in backlog:
            if until is not None and delivery.cursor > until:
                break
            self._dispatch(delivery)

    def _dispatch(self, delivery: Delivery) -> None:
        if delivery.cursor <= self.last:
            return
        self.last = delivery.cursor
        for client in list(self.clients):
            client.offer(delivery)
        self.delivered += 1

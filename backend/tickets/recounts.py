"""An event's availability counted again once per burst of changes, not once per change.

Every change of a ticket (listed, locked, unlocked, sold, void) and of an event *marks*
the event; a worker in each tickets process counts the marked events again
(``catalogue.recount``: three counts and a find on the event's tickets). What changed
while an event was being counted is counted once more, together, in the next round. A
recount costs what the event's size costs, so counting on every change made an on-sale
of N tickets cost N recounts of N tickets; now it costs one recount per round, however
many of its tickets changed meanwhile. Rounds start at most every ``every_s``
(``RECOUNT_EVERY_SECONDS``, 0.5 s): the first change after a quiet time is counted at
once, a stream of changes twice a second, not once per change (a round as quick as the
changes made one each: in the fan-out benchmark with one client, a price change every
20 ms, the Mongo-wire server's CPU per change went from 15.5 to 9 ms).

Crash-safe: a mark is a counter in one Redis hash (``HINCRBY``), cleared after the count
only when no change marked the event meanwhile (the counter unchanged, one script), so a
mark outlives a crash of the process that made it and any replica's worker counts it: each
looks every ``poll_s`` even when no change of its own woke it. Two replicas counting the
same event at once is harmless: ``recount`` writes compare-and-set.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog
from redis.asyncio import Redis

from backend.common.keys import RedisKeys
from backend.tickets import catalogue

log = structlog.get_logger(__name__)

# KEYS: the marks. ARGV: event id, its mark as read before the count.
_CLEAR = """
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  return redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0
"""


class Recounts:
    def __init__(
        self,
        redis: Redis,
        keys: RedisKeys,
        *,
        poll_s: float = 1.0,
        every_s: float = 0.0,
        recount: Callable[[str], Awaitable[None]] = catalogue.recount,
    ) -> None:
        self._redis = redis
        self._key = keys.availability_recounts()
        self._clear = redis.register_script(_CLEAR)
        self._recount = recount
        self._poll_s = poll_s
        self._every_s = every_s
        self._woken = asyncio.Event()

    async def mark(self, event_id: str) -> None:
        """The event changed: its availability is to be counted again (durably, before
        the fact that changed it is acknowledged)."""
        await self._redis.hincrby(self._key, event_id, 1)  # type: ignore[misc]  # sync|async stubs
        self._woken.set()

    async def round(self) -> int:
        """Count every marked event once; how many were counted."""
        marks: dict[str, str] = await self._redis.hgetall(self._key)  # type: ignore[misc]
        for event_id, mark in marks.items():
            await self._recount(event_id)
            await self._clear(keys=[self._key], args=[event_id, mark])
        return len(marks)

    async def run(self) -> None:
        """Rounds for the life of the process: when a change woke it, at least every
        ``poll_s``, and at most one every ``every_s`` (the changes of a round's time are
        counted together in the next); a failed round (Redis, MongoDB down) leaves its
        marks for the next."""
        loop = asyncio.get_running_loop()
        while True:
            self._woken.clear()
            started = loop.time()
            try:
                await self.round()
            except Exception:  # a failed round must not end the worker
                log.exception("tickets.recount_round_failed")
            rest = self._every_s - (loop.time() - started)
            if rest > 0:
                await asyncio.sleep(rest)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._woken.wait(), self._poll_s)

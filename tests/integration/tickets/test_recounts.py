"""An event's availability counted once per burst of changes (``backend/tickets/recounts.py``),
against the real redis-server: a burst is one count, a change during a count is counted
again, a failed count or a crashed process loses no mark, and racing markers always end
with a count after their last change.

The count itself (``catalogue.recount``, three counts and a find in MongoDB) is what the
worker is given to call; here it records what it was called for, and when. That it keeps
the availability exact end to end is shown through the running services in
``test_events.py`` (availability, locked, sold)."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter

import pytest
from redis.asyncio import Redis

from backend.common.keys import RedisKeys
from backend.tickets.recounts import Recounts
from tests.support.api import eventually

pytestmark = pytest.mark.integration


class Counts:
    """What the worker counted, in order."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def __call__(self, event_id: str) -> None:
        self.calls.append(event_id)


async def marks(redis: Redis, keys: RedisKeys) -> dict[str, str]:
    found: dict[str, str] = await redis.hgetall(keys.availability_recounts())  # type: ignore[misc]
    return found


async def test_a_burst_of_changes_is_counted_once(redis: Redis, keys: RedisKeys) -> None:
    counts = Counts()
    recounts = Recounts(redis, keys, recount=counts)
    await asyncio.gather(
        *(recounts.mark("rock") for _ in range(50)), *(recounts.mark("jazz") for _ in range(5))
    )

    assert await recounts.round() == 2
    assert Counter(counts.calls) == {"rock": 1, "jazz": 1}
    assert await marks(redis, keys) == {}
    assert await recounts.round() == 0  # nothing changed since


async def test_a_change_during_the_count_is_counted_again(redis: Redis, keys: RedisKeys) -> None:
    counts = Counts()

    async def counted_while_a_ticket_changes(event_id: str) -> None:
        await counts(event_id)
        if len(counts.calls) == 1:
            await recounts.mark(event_id)  # after the count read, before it cleared the mark

    recounts = Recounts(redis, keys, recount=counted_while_a_ticket_changes)
    await recounts.mark("rock")

    await recounts.round()
    assert await marks(redis, keys) == {"rock": "2"}  # kept: the count may have missed it
    await recounts.round()
    assert counts.calls == ["rock", "rock"]
    assert await marks(redis, keys) == {}


async def test_a_failed_count_keeps_its_mark_and_the_worker_goes_on(
    redis: Redis, keys: RedisKeys
) -> None:
    counts = Counts()
    failures = [RuntimeError("MongoDB is down")]

    async def count_or_fail(event_id: str) -> None:
        if failures:
            raise failures.pop()
        await counts(event_id)

    recounts = Recounts(redis, keys, poll_s=0.05, recount=count_or_fail)
    await recounts.mark("rock")
    worker = asyncio.create_task(recounts.run())
    try:
        await eventually(
            lambda: marks(redis, keys), lambda left: counts.calls == ["rock"] and not left
        )
    finally:
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
    assert not failures  # the first round failed, a later one counted


async def test_a_mark_left_by_a_crashed_process_is_counted_by_another(
    redis: Redis, keys: RedisKeys
) -> None:
    await Recounts(redis, keys, recount=Counts()).mark("rock")  # its process dies here
    counts = Counts()
    survivor = Recounts(redis, keys, poll_s=0.05, recount=counts)  # never woken by a change
    worker = asyncio.create_task(survivor.run())
    try:
        await eventually(lambda: marks(redis, keys), lambda _: bool(counts.calls))
    finally:
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
    assert counts.calls == ["rock"]
    assert await marks(redis, keys) == {}


async def test_racing_changes_on_three_replicas_end_with_a_count_after_the_last_change(
    redis: Redis, keys: RedisKeys
) -> None:
    """Three replicas (each its own worker) mark four events 400 times at once, with the
    counts slowed down so that changes keep arriving while they run. Once the changes
    stop, every event was counted after its last change, no mark is left, and far fewer
    counts than changes were made."""
    events = ["rock", "jazz", "folk", "punk"]
    last_change: dict[str, float] = {}
    counted_at: dict[str, list[float]] = {event: [] for event in events}
    loop = asyncio.get_running_loop()

    async def slow_count(event_id: str) -> None:
        started = loop.time()  # after the round read the marks
        await asyncio.sleep(0.01)
        counted_at[event_id].append(started)

    replicas = [Recounts(redis, keys, poll_s=0.05, recount=slow_count) for _ in range(3)]
    workers = [asyncio.create_task(replica.run()) for replica in replicas]

    async def change(i: int) -> None:
        await asyncio.sleep((i % 40) * 0.005)
        event = events[i % len(events)]
        # When the change was made, not when its mark's reply was read: a count whose
        # read saw the mark may be read back first.
        last_change[event] = max(last_change.get(event, 0.0), loop.time())
        await replicas[i % len(replicas)].mark(event)

    try:
        await asyncio.gather(*(change(i) for i in range(400)))
        await eventually(lambda: marks(redis, keys), lambda left: not left)
    finally:
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)

    for event in events:
        assert max(counted_at[event]) >= last_change[event], event
    total = sum(len(times) for times in counted_at.values())
    assert total < 400 / 2, total  # coalesced: one count stands for many changes


async def test_a_change_after_a_quiet_time_is_counted_at_once_and_later_ones_wait_their_turn(
    redis: Redis, keys: RedisKeys
) -> None:
    """At most one round per ``every_s``: an on-sale's stream of changes is counted once
    per interval, not once per change; the first change after a quiet time at once."""
    counts = Counts()
    recounts = Recounts(redis, keys, poll_s=0.05, every_s=60.0, recount=counts)
    worker = asyncio.create_task(recounts.run())
    try:
        await recounts.mark("rock")
        await eventually(lambda: marks(redis, keys), lambda left: not left)
        for _ in range(5):
            await recounts.mark("rock")
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.2)  # several polls: no round may start before 60 s are up
        assert counts.calls == ["rock"]
        assert await marks(redis, keys) == {"rock": "5"}  # kept for the next round
    finally:
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker

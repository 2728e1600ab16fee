"""Order deadlines in the real redis-server: each fires ``OrderExpired`` exactly once,
whatever the number of scheduler instances, and survives a restart."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
from redis.asyncio import Redis

from backend.common.bus import Consumer, subscribe
from backend.common.facts import OrderExpired
from backend.common.keys import RedisKeys
from backend.expiration.scheduler import ExpirationScheduler

pytestmark = pytest.mark.integration

DEADLINE = datetime(2031, 5, 17, 20, 0, tzinfo=UTC)
DEADLINE_MS = int(DEADLINE.timestamp() * 1000)
TIMEOUT_S = 5.0


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@pytest.fixture
def scheduler(redis: Redis, keys: RedisKeys) -> ExpirationScheduler:
    return ExpirationScheduler(redis, keys)


@pytest.fixture
async def other_redis(redis_url: str) -> AsyncIterator[Redis]:
    """A second connection pool: another replica (or a restarted process) of the worker."""
    client = Redis.from_url(redis_url, decode_responses=True)
    yield client
    await client.aclose()


async def fired(redis: Redis, keys: RedisKeys) -> list[OrderExpired]:
    """Every OrderExpired in the stream, in stream order."""
    stream = keys.stream(OrderExpired.STREAM)
    entries = cast(list[tuple[str, dict[str, str]]], await redis.xrange(stream))
    assert all(fields["type"] == OrderExpired.type_name() for _, fields in entries)
    return [OrderExpired.model_validate_json(fields["data"]) for _, fields in entries]


async def test_fire_due_emits_nothing_before_the_deadline(
    scheduler: ExpirationScheduler, redis: Redis, keys: RedisKeys
) -> None:
    await scheduler.schedule(order_id="o1", ticket_id="t1", deadline=DEADLINE)

    assert await scheduler.fire_due(now_ms=DEADLINE_MS - 1) == 0
    assert await fired(redis, keys) == []
    assert await scheduler.pending() == 1


async def test_fire_due_emits_order_expired_at_the_deadline(
    scheduler: ExpirationScheduler, redis: Redis, keys: RedisKeys
) -> None:
    assert await scheduler.schedule(order_id="o1", ticket_id="t1", deadline=DEADLINE) is True

    assert await scheduler.fire_due(now_ms=DEADLINE_MS) == 1

    [event] = await fired(redis, keys)
    assert (event.order_id, event.ticket_id) == ("o1", "t1")
    assert event.id == "expired-o1"
    assert event.occurred_at == DEADLINE
    assert await scheduler.pending() == 0


async def test_fire_due_fires_each_deadline_once_when_called_again(
    scheduler: ExpirationScheduler, redis: Redis, keys: RedisKeys
) -> None:
    await scheduler.schedule(order_id="o1", ticket_id="t1", deadline=DEADLINE)

    counts = [await scheduler.fire_due(now_ms=DEADLINE_MS + step * 1_000) for step in range(3)]

    assert counts == [1, 0, 0]
    assert [e.order_id for e in await fired(redis, keys)] == ["o1"]


async def test_fire_due_fires_a_deadline_already_past_at_once(
    scheduler: ExpirationScheduler, redis: Redis, keys: RedisKeys
) -> None:
    past = datetime.now(UTC) - timedelta(minutes=1)
    await scheduler.schedule(order_id="late", ticket_id="t1", deadline=past)

    assert await scheduler.fire_due() == 1
    assert [e.order_id for e in await fired(redis, keys)] == ["late"]


async def test_fire_due_fires_in_deadline_order_and_only_what_is_due(
    scheduler: ExpirationScheduler, redis: Redis, keys: RedisKeys
) -> None:
    offsets = {"c": 3, "a": 1, "later": 60, "b": 2}
    for order_id, minutes in offsets.items():
        deadline = DEADLINE + timedelta(minutes=minutes)
        await scheduler.schedule(order_id=order_id, ticket_id="t", deadline=deadline)

    assert await scheduler.fire_due(now_ms=_ms(DEADLINE + timedelta(minutes=5))) == 3

    assert [e.order_id for e in await fired(redis, keys)] == ["a", "b", "c"]
    assert await scheduler.pending() == 1


async def test_fire_due_fires_at_most_a_batch_per_call(
    scheduler: ExpirationScheduler, redis: Redis, keys: RedisKeys
) -> None:
    for n in range(5):
        await scheduler.schedule(order_id=f"o{n}", ticket_id="t", deadline=DEADLINE)

    counts = [await scheduler.fire_due(now_ms=DEADLINE_MS, batch=2) for _ in range(4)]

    assert counts == [2, 2, 1, 0]
    assert sorted(e.order_id for e in await fired(redis, keys)) == [f"o{n}" for n in range(5)]


async def test_schedule_is_idempotent_and_keeps_the_first_deadline(
    scheduler: ExpirationScheduler, redis: Redis, keys: RedisKeys
) -> None:
    first = await scheduler.schedule(order_id="o1", ticket_id="t1", deadline=DEADLINE)
    sooner = await scheduler.schedule(
        order_id="o1", ticket_id="t1", deadline=DEADLINE - timedelta(minutes=10)
    )
    later = await scheduler.schedule(
        order_id="o1", ticket_id="t1", deadline=DEADLINE + timedelta(minutes=10)
    )

    assert (first, sooner, later) == (True, False, False)
    assert await scheduler.pending() == 1
    assert await scheduler.fire_due(now_ms=DEADLINE_MS - 1) == 0
    assert await scheduler.fire_due(now_ms=_ms(DEADLINE + timedelta(hours=1))) == 1
    [event] = await fired(redis, keys)
    assert event.occurred_at == DEADLINE


async def test_schedule_is_ignored_when_the_order_has_already_fired(
    scheduler: ExpirationScheduler, redis: Redis, keys: RedisKeys
) -> None:
    await scheduler.schedule(order_id="o1", ticket_id="t1", deadline=DEADLINE)
    assert await scheduler.fire_due(now_ms=DEADLINE_MS) == 1

    # At-least-once delivery: the same OrderCreated may be handled again.
    again = await scheduler.schedule(order_id="o1", ticket_id="t1", deadline=DEADLINE)
    await scheduler.fire_due(now_ms=DEADLINE_MS + 1_000)

    assert again is False
    assert [e.order_id for e in await fired(redis, keys)] == ["o1"]


async def test_unschedule_stops_the_deadline_from_firing(
    scheduler: ExpirationScheduler, redis: Redis, keys: RedisKeys
) -> None:
    await scheduler.schedule(order_id="paid", ticket_id="t1", deadline=DEADLINE)
    await scheduler.schedule(order_id="unpaid", ticket_id="t2", deadline=DEADLINE)

    assert await scheduler.unschedule("paid") is True
    assert await scheduler.unschedule("paid") is False
    assert await scheduler.unschedule("never-scheduled") is False

    assert await scheduler.fire_due(now_ms=DEADLINE_MS) == 1
    assert [e.order_id for e in await fired(redis, keys)] == ["unpaid"]


async def test_schedule_works_again_after_unschedule(
    scheduler: ExpirationScheduler, redis: Redis, keys: RedisKeys
) -> None:
    await scheduler.schedule(order_id="o1", ticket_id="t1", deadline=DEADLINE)
    await scheduler.unschedule("o1")

    later = DEADLINE + timedelta(minutes=5)
    assert await scheduler.schedule(order_id="o1", ticket_id="t1", deadline=later) is True

    assert await scheduler.fire_due(now_ms=DEADLINE_MS) == 0
    assert await scheduler.fire_due(now_ms=_ms(later)) == 1


async def test_two_schedulers_racing_fire_each_order_exactly_once(
    redis: Redis, other_redis: Redis, keys: RedisKeys
) -> None:
    first = ExpirationScheduler(redis, keys)
    second = ExpirationScheduler(other_redis, keys)
    order_ids = [f"o{n}" for n in range(200)]
    for n, order_id in enumerate(order_ids):
        owner = first if n % 2 else second
        deadline = DEADLINE + timedelta(milliseconds=n)
        await owner.schedule(order_id=order_id, ticket_id=f"t{n}", deadline=deadline)

    async def drain(scheduler: ExpirationScheduler) -> int:
        total = 0
        while count := await scheduler.fire_due(now_ms=DEADLINE_MS + 1_000, batch=7):
            total += count
        return total

    counts = await asyncio.gather(*(drain(s) for s in (first, second, first, second)))

    assert sum(counts) == len(order_ids)
    events = await fired(redis, keys)
    assert sorted(e.order_id for e in events) == sorted(order_ids)
    assert await first.pending() == await second.pending() == 0


async def test_a_new_scheduler_fires_what_a_stopped_one_scheduled(
    keys: RedisKeys, redis_url: str, redis: Redis
) -> None:
    before_restart = Redis.from_url(redis_url, decode_responses=True)
    old = ExpirationScheduler(before_restart, keys)
    await old.schedule(order_id="o1", ticket_id="t1", deadline=DEADLINE)
    await old.schedule(order_id="o2", ticket_id="t2", deadline=DEADLINE + timedelta(hours=1))
    await before_restart.aclose()

    after_restart = Redis.from_url(redis_url, decode_responses=True)
    try:
        new = ExpirationScheduler(after_restart, keys)
        assert await new.pending() == 2
        assert await new.schedule(order_id="o1", ticket_id="t1", deadline=DEADLINE) is False
        assert await new.fire_due(now_ms=_ms(DEADLINE + timedelta(days=1))) == 2
    finally:
        await after_restart.aclose()

    assert [e.order_id for e in await fired(redis, keys)] == ["o1", "o2"]


async def test_run_fires_a_deadline_soon_after_it_passes(
    scheduler: ExpirationScheduler, redis: Redis, keys: RedisKeys
) -> None:
    worker = asyncio.create_task(scheduler.run())
    try:
        deadline = datetime.now(UTC) + timedelta(milliseconds=300)
        await scheduler.schedule(order_id="o1", ticket_id="t1", deadline=deadline)

        async with asyncio.timeout(TIMEOUT_S):
            # The stream offers nothing to await without blocking reads of our own.
            while not await fired(redis, keys):  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        seen_at = datetime.now(UTC)
    finally:
        worker.cancel()
        with pytest.raises(asyncio.CancelledError):
            await worker

    assert deadline <= seen_at < deadline + timedelta(seconds=1)
    assert [e.order_id for e in await fired(redis, keys)] == ["o1"]


async def test_run_fires_a_deadline_already_past_without_waiting_for_its_tick(
    redis: Redis, keys: RedisKeys
) -> None:
    scheduler = ExpirationScheduler(redis, keys, tick_s=TIMEOUT_S * 2)  # no tick in time
    worker = asyncio.create_task(scheduler.run())
    try:
        await asyncio.sleep(0.05)  # the first round has run; the next tick is far off
        deadline = datetime.now(UTC) - timedelta(milliseconds=1)
        await scheduler.schedule(order_id="o1", ticket_id="t1", deadline=deadline)

        async with asyncio.timeout(TIMEOUT_S):
            while not await fired(redis, keys):  # noqa: ASYNC110
                await asyncio.sleep(0.01)
    finally:
        worker.cancel()
        with pytest.raises(asyncio.CancelledError):
            await worker

    assert [e.order_id for e in await fired(redis, keys)] == ["o1"]


async def test_fired_event_is_delivered_to_a_consumer_group(
    scheduler: ExpirationScheduler, redis: Redis, keys: RedisKeys
) -> None:
    received: list[OrderExpired] = []

    async def on_order_expired(event: OrderExpired) -> None:
        received.append(event)

    consumer = Consumer(
        redis, keys, group="orders", subscriptions=[subscribe(OrderExpired, on_order_expired)]
    )
    await consumer.ensure_groups()
    await scheduler.schedule(order_id="o1", ticket_id="t1", deadline=DEADLINE)
    await scheduler.fire_due(now_ms=DEADLINE_MS)

    assert await consumer.step(block=False) == 1

    assert [(e.order_id, e.ticket_id) for e in received] == [("o1", "t1")]

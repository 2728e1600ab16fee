"""The event bus against the real redis-server: at-least-once delivery with consumer groups,
redelivery of un-acked messages (XAUTOCLAIM), dead letters and idempotent handlers."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
from redis.asyncio import Redis

from backend.common.bus import (
    Consumer,
    Envelope,
    FactBus,
    RetryLater,
    Subscriptions,
    pending_count,
    subscribe,
)
from backend.common.facts import OrderCancelled, OrderCreated, TicketUpdated
from backend.common.keys import RedisKeys
from wire.values import CancelReason, Event, EventKind, Money, TicketStatus

pytestmark = pytest.mark.integration

GROUP = "svc-under-test"
RETRY_AFTER_MS = 100
MAX_DELIVERIES = 3
TIMEOUT_S = 5.0

type Condition = Callable[[], bool | Awaitable[bool]]


async def _holds(condition: Condition) -> bool:
    result = condition()
    return bool(await result) if inspect.isawaitable(result) else result


async def poll_until(condition: Condition) -> None:
    """Wait until ``condition`` holds; fail the test after ``TIMEOUT_S``."""
    async with asyncio.timeout(TIMEOUT_S):
        # Polls Redis state (and a task's status), which offer no event to await.
        while not await _holds(condition):  # noqa: ASYNC110
            await asyncio.sleep(0.005)


async def drive(*consumers: Consumer, until: Condition) -> None:
    """Step the consumers (without blocking) until ``until`` holds; fail after ``TIMEOUT_S``."""
    async with asyncio.timeout(TIMEOUT_S):
        while not await _holds(until):
            for consumer in consumers:
                await consumer.step(block=False)
            await asyncio.sleep(0.005)


def make_consumer(
    redis: Redis,
    keys: RedisKeys,
    subscriptions: Subscriptions,
    *,
    group: str = GROUP,
    name: str | None = None,
    max_deliveries: int = MAX_DELIVERIES,
    batch: int = 50,
) -> Consumer:
    return Consumer(
        redis,
        keys,
        group=group,
        subscriptions=subscriptions,
        name=name,
        max_deliveries=max_deliveries,
        retry_after_ms=RETRY_AFTER_MS,
        block_ms=50,
        batch=batch,
    )


def order_created(order_id: str = "order-1") -> OrderCreated:
    return OrderCreated(
        order_id=order_id,
        ticket_id="ticket-1",
        buyer_id="buyer-1",
        seller_id="seller-1",
        price=Money(amount=2_500, currency="usd"),
        expires_at=datetime.now(UTC) + timedelta(minutes=15),
        version=0,
    )


def ticket_updated(*, version: int, price: int) -> TicketUpdated:
    return TicketUpdated(
        ticket_id="ticket-1",
        title="Front row",
        event=Event(
            name="The Show",
            kind=EventKind.CONCERT,
            venue="Arena",
            starts_at=datetime(2030, 1, 1, 20, tzinfo=UTC),
        ),
        price=Money(amount=price, currency="usd"),
        seller_id="seller-1",
        owner_id="seller-1",
        status=TicketStatus.AVAILABLE,
        version=version,
    )


class TicketReplica:
    """A consuming service's local copy: applies only the next version, ignores old ones."""

    def __init__(self) -> None:
        self.version = -1
        self.price: int | None = None
        self.applied: list[str] = []
        self.calls = 0

    async def on_ticket_updated(self, event: TicketUpdated) -> None:
        self.calls += 1
        if event.version <= self.version:  # a duplicate delivery: already applied
            return
        if event.version > self.version + 1:
            raise RetryLater(f"expected version {self.version + 1}, got {event.version}")
        self.version = event.version
        self.price = event.price.amount
        self.applied.append(event.id)


@pytest.fixture
def bus(redis: Redis, keys: RedisKeys) -> FactBus:
    return FactBus(redis, keys)


@pytest.fixture
def orders_stream(keys: RedisKeys) -> str:
    return keys.stream(OrderCreated.STREAM)


async def dead_letters(redis: Redis, keys: RedisKeys) -> list[dict[str, str]]:
    entries = cast(list[tuple[str, dict[str, str]]], await redis.xrange(keys.dead_letters()))
    return [fields for _, fields in entries]


async def test_published_event_is_handled_and_acked(
    bus: FactBus, redis: Redis, keys: RedisKeys, orders_stream: str
) -> None:
    handled: list[OrderCreated] = []

    async def on_order_created(event: OrderCreated) -> None:
        handled.append(event)

    consumer = make_consumer(redis, keys, [subscribe(OrderCreated, on_order_created)])
    await consumer.ensure_groups()
    event = order_created()
    await bus.publish(event)

    await drive(consumer, until=lambda: bool(handled))

    assert handled == [event]
    assert (await redis.xpending(orders_stream, GROUP))["pending"] == 0


async def test_a_rounds_handled_messages_are_acked_together_when_it_ends(
    bus: FactBus, redis: Redis, keys: RedisKeys, orders_stream: str
) -> None:
    pending_while_handling: list[int] = []

    async def on_order_created(_: OrderCreated) -> None:
        pending_while_handling.append(int((await redis.xpending(orders_stream, GROUP))["pending"]))

    consumer = make_consumer(redis, keys, [subscribe(OrderCreated, on_order_created)])
    await consumer.ensure_groups()
    for number in range(5):
        await bus.publish(order_created(f"order-{number}"))

    assert await consumer.step(block=False) == 5

    # Read together, none acked before the last handler returned (one XACK for them all).
    assert pending_while_handling == [5, 5, 5, 5, 5]
    assert (await redis.xpending(orders_stream, GROUP))["pending"] == 0


async def test_a_round_cut_short_acks_what_it_handled_and_only_that(
    bus: FactBus, redis: Redis, keys: RedisKeys, orders_stream: str
) -> None:
    handling_second, never = asyncio.Event(), asyncio.Event()
    handled: list[str] = []

    async def on_order_created(event: OrderCreated) -> None:
        if event.order_id == "order-2":
            handling_second.set()
            await never.wait()  # stopped while handling it (a shutdown)
        handled.append(event.order_id)

    consumer = make_consumer(redis, keys, [subscribe(OrderCreated, on_order_created)])
    await consumer.ensure_groups()
    await bus.publish(order_created("order-1"))
    second = await bus.publish(order_created("order-2"))
    stepping = asyncio.create_task(consumer.step(block=False))
    async with asyncio.timeout(TIMEOUT_S):
        await handling_second.wait()

    stepping.cancel()
    with pytest.raises(asyncio.CancelledError):
        await stepping

    assert handled == ["order-1"]
    still_pending = await redis.xpending_range(orders_stream, GROUP, min="-", max="+", count=10)
    assert [entry["message_id"] for entry in still_pending] == [second]


async def test_running_consumer_handles_events_published_before_and_after_it_starts(
    bus: FactBus, redis: Redis, keys: RedisKeys, orders_stream: str
) -> None:
    handled: list[str] = []

    async def on_order_created(event: OrderCreated) -> None:
        handled.append(event.id)

    before, after = order_created("before"), order_created("after")
    await bus.publish(before)  # the group does not exist yet
    consumer = make_consumer(redis, keys, [subscribe(OrderCreated, on_order_created)])
    task = asyncio.create_task(consumer.run())
    try:
        await bus.publish(after)
        await poll_until(lambda: len(handled) == 2)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    assert handled == [before.id, after.id]
    assert await pending_count(redis, [orders_stream], GROUP) == 0


async def test_failed_handler_leaves_message_unacked_and_it_is_retried(
    bus: FactBus, redis: Redis, keys: RedisKeys, orders_stream: str
) -> None:
    deliveries_seen: list[int] = []
    handled: list[str] = []

    async def flaky(event: OrderCreated) -> None:
        [entry] = await redis.xpending_range(orders_stream, GROUP, min="-", max="+", count=10)
        deliveries_seen.append(int(entry["times_delivered"]))
        if len(deliveries_seen) == 1:
            raise ConnectionError("database briefly unavailable")
        handled.append(event.id)

    consumer = make_consumer(redis, keys, [subscribe(OrderCreated, flaky)])
    await consumer.ensure_groups()
    event = order_created()
    msg_id = await bus.publish(event)

    await consumer.step(block=False)
    assert handled == []
    [pending] = await redis.xpending_range(orders_stream, GROUP, min="-", max="+", count=10)
    assert pending["message_id"] == msg_id

    await drive(consumer, until=lambda: bool(handled))

    assert handled == [event.id]
    assert deliveries_seen == [1, 2]  # the same message, redelivered by XAUTOCLAIM
    assert (await redis.xpending(orders_stream, GROUP))["pending"] == 0
    assert await dead_letters(redis, keys) == []


async def test_message_of_a_killed_consumer_is_handled_by_another_consumer(
    bus: FactBus, redis: Redis, keys: RedisKeys, orders_stream: str
) -> None:
    started = asyncio.Event()
    never = asyncio.Event()

    async def stuck(event: OrderCreated) -> None:
        started.set()
        await never.wait()

    handled: list[str] = []

    async def on_order_created(event: OrderCreated) -> None:
        handled.append(event.id)

    doomed = make_consumer(redis, keys, [subscribe(OrderCreated, stuck)], name="replica-a")
    survivor = make_consumer(
        redis, keys, [subscribe(OrderCreated, on_order_created)], name="replica-b"
    )
    event = order_created()
    await bus.publish(event)

    task = asyncio.create_task(doomed.run())
    async with asyncio.timeout(5):
        await started.wait()
    task.cancel()  # the replica dies mid-handler, before its ack
    with contextlib.suppress(asyncio.CancelledError):
        await task
    [entry] = await redis.xpending_range(orders_stream, GROUP, min="-", max="+", count=10)
    assert entry["consumer"] == "replica-a"

    await drive(survivor, until=lambda: bool(handled))

    assert handled == [event.id]
    assert (await redis.xpending(orders_stream, GROUP))["pending"] == 0


async def test_poison_message_is_dead_lettered_after_max_deliveries_while_others_flow(
    bus: FactBus, redis: Redis, keys: RedisKeys, orders_stream: str
) -> None:
    attempts: list[str] = []

    async def on_order_created(event: OrderCreated) -> None:
        attempts.append(event.order_id)
        if event.order_id == "poison":
            raise ValueError("cannot apply poison")

    consumer = make_consumer(redis, keys, [subscribe(OrderCreated, on_order_created)])
    await consumer.ensure_groups()
    poison = order_created("poison")
    poison_msg_id = await bus.publish(poison)
    await bus.publish(order_created("next"))

    async def dead_lettered() -> bool:
        return bool(await dead_letters(redis, keys))

    await drive(consumer, until=dead_lettered)

    # "next" went through on its first delivery, not stuck behind the poison message.
    assert attempts == ["poison", "next", *["poison"] * (MAX_DELIVERIES - 1)]
    [letter] = await dead_letters(redis, keys)
    assert letter["stream"] == orders_stream
    assert letter["msgId"] == poison_msg_id
    assert letter["group"] == GROUP
    assert "cannot apply poison" in letter["error"]
    assert letter["deliveries"] == str(MAX_DELIVERIES)
    assert letter["type"] == "OrderCreated"
    assert OrderCreated.model_validate_json(letter["data"]) == poison
    assert (await redis.xpending(orders_stream, GROUP))["pending"] == 0

    await bus.publish(order_created("later"))
    await drive(consumer, until=lambda: attempts[-1] == "later")
    assert attempts.count("poison") == MAX_DELIVERIES
    assert len(await dead_letters(redis, keys)) == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"type": "OrderCreated", "data": "{not json"},
        {"type": "OrderCreated", "data": '{"orderId": "order-1"}'},
        {"type": "OrderCreated"},
    ],
    ids=["not-json", "missing-fields", "no-data"],
)
async def test_unparsable_event_is_dead_lettered_without_reaching_the_handler(
    fields: dict[str, str], bus: FactBus, redis: Redis, keys: RedisKeys, orders_stream: str
) -> None:
    handled: list[str] = []

    async def on_order_created(event: OrderCreated) -> None:
        handled.append(event.order_id)

    consumer = make_consumer(redis, keys, [subscribe(OrderCreated, on_order_created)])
    await consumer.ensure_groups()
    bad_msg_id = await redis.xadd(orders_stream, fields)  # type: ignore[arg-type]
    await bus.publish(order_created("next"))

    async def settled() -> bool:
        return bool(handled and await dead_letters(redis, keys))

    await drive(consumer, until=settled)

    assert handled == ["next"]
    [letter] = await dead_letters(redis, keys)
    assert letter["msgId"] == bad_msg_id
    assert letter["stream"] == orders_stream
    assert letter["group"] == GROUP
    assert letter["error"].startswith("invalid fact")
    # It can never parse, so it is not retried: dead-lettered on its first delivery.
    assert letter["deliveries"] == "1"
    assert letter.get("data") == fields.get("data")
    assert (await redis.xpending(orders_stream, GROUP))["pending"] == 0


async def test_running_consumer_keeps_consuming_after_a_dead_letter(
    bus: FactBus, redis: Redis, keys: RedisKeys, orders_stream: str
) -> None:
    handled: list[str] = []

    async def on_order_created(event: OrderCreated) -> None:
        if event.order_id == "poison":
            raise ValueError("cannot apply poison")
        handled.append(event.order_id)

    consumer = make_consumer(redis, keys, [subscribe(OrderCreated, on_order_created)])
    task = asyncio.create_task(consumer.run())
    try:
        await bus.publish(order_created("poison"))

        async def dead_lettered_or_stopped() -> bool:
            return task.done() or bool(await dead_letters(redis, keys))

        await poll_until(dead_lettered_or_stopped)
        await bus.publish(order_created("later"))
        await poll_until(lambda: task.done() or bool(handled))
        if task.done():
            task.result()  # surfaces why the consumer loop stopped
        assert handled == ["later"]

        async def all_acked() -> bool:  # the ack follows the handler's return
            return int((await redis.xpending(orders_stream, GROUP))["pending"]) == 0

        await poll_until(all_acked)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_retry_later_is_retried_until_the_handler_accepts(
    bus: FactBus, redis: Redis, keys: RedisKeys, orders_stream: str
) -> None:
    attempts: list[str] = []
    handled: list[str] = []

    async def not_yet(event: OrderCreated) -> None:
        attempts.append(event.id)
        if len(attempts) < 3:
            raise RetryLater("the ticket replica is behind")
        handled.append(event.id)

    consumer = make_consumer(redis, keys, [subscribe(OrderCreated, not_yet)], max_deliveries=5)
    await consumer.ensure_groups()
    event = order_created()
    await bus.publish(event)

    await drive(consumer, until=lambda: bool(handled))

    assert attempts == [event.id] * 3
    assert (await redis.xpending(orders_stream, GROUP))["pending"] == 0
    assert await dead_letters(redis, keys) == []


async def test_retry_later_is_dead_lettered_when_it_never_resolves(
    bus: FactBus, redis: Redis, keys: RedisKeys, orders_stream: str
) -> None:
    attempts: list[str] = []

    async def never_ready(event: OrderCreated) -> None:
        attempts.append(event.id)
        raise RetryLater("version 7 never arrives")

    consumer = make_consumer(redis, keys, [subscribe(OrderCreated, never_ready)])
    await consumer.ensure_groups()
    msg_id = await bus.publish(order_created())

    async def dead_lettered() -> bool:
        return bool(await dead_letters(redis, keys))

    await drive(consumer, until=dead_lettered)

    assert len(attempts) == MAX_DELIVERIES
    [letter] = await dead_letters(redis, keys)
    assert letter["msgId"] == msg_id
    assert letter["error"] == "retry later: version 7 never arrives"
    assert letter["deliveries"] == str(MAX_DELIVERIES)
    assert (await redis.xpending(orders_stream, GROUP))["pending"] == 0


async def test_every_group_gets_every_event(
    bus: FactBus, redis: Redis, keys: RedisKeys, orders_stream: str
) -> None:
    seen: dict[str, list[str]] = {"tickets": [], "payments": []}

    def recorder(group: str) -> Callable[[OrderCreated], Awaitable[None]]:
        async def on_order_created(event: OrderCreated) -> None:
            seen[group].append(event.id)

        return on_order_created

    consumers = [
        make_consumer(redis, keys, [subscribe(OrderCreated, recorder(group))], group=group)
        for group in seen
    ]
    for consumer in consumers:
        await consumer.ensure_groups()
    events = [order_created(f"order-{n}") for n in range(3)]
    for event in events:
        await bus.publish(event)

    await drive(*consumers, until=lambda: all(len(ids) == 3 for ids in seen.values()))

    expected = [event.id for event in events]
    assert seen == {"tickets": expected, "payments": expected}
    for group in seen:
        assert (await redis.xpending(orders_stream, group))["pending"] == 0


async def test_replicas_of_one_group_share_events_and_handle_each_once(
    bus: FactBus, redis: Redis, keys: RedisKeys, orders_stream: str
) -> None:
    seen: dict[str, list[str]] = {"replica-a": [], "replica-b": []}

    def recorder(name: str) -> Callable[[OrderCreated], Awaitable[None]]:
        async def on_order_created(event: OrderCreated) -> None:
            seen[name].append(event.id)

        return on_order_created

    replicas = [
        make_consumer(redis, keys, [subscribe(OrderCreated, recorder(name))], name=name, batch=1)
        for name in seen
    ]
    await replicas[0].ensure_groups()
    events = [order_created(f"order-{n}") for n in range(6)]
    for event in events:
        await bus.publish(event)

    await drive(*replicas, until=lambda: sum(map(len, seen.values())) == len(events))

    assert all(seen.values())  # both replicas did part of the work
    assert sorted(seen["replica-a"] + seen["replica-b"]) == sorted(e.id for e in events)
    assert (await redis.xpending(orders_stream, GROUP))["pending"] == 0


async def test_events_without_a_handler_are_acked_and_ignored(
    bus: FactBus, redis: Redis, keys: RedisKeys, orders_stream: str
) -> None:
    handled: list[str] = []

    async def on_order_created(event: OrderCreated) -> None:
        handled.append(event.id)

    consumer = make_consumer(redis, keys, [subscribe(OrderCreated, on_order_created)])
    await consumer.ensure_groups()
    cancelled = OrderCancelled(
        order_id="order-1",
        ticket_id="ticket-1",
        buyer_id="buyer-1",
        reason=CancelReason.BUYER,
        version=1,
    )
    await bus.publish(cancelled)  # same stream, type this group does not consume
    await bus.publish_envelope(OrderCreated.STREAM, Envelope(type="SomethingNew", data="{}"))
    created = order_created("order-2")
    await bus.publish(created)

    await drive(consumer, until=lambda: bool(handled))

    assert handled == [created.id]
    assert (await redis.xpending(orders_stream, GROUP))["pending"] == 0
    assert await dead_letters(redis, keys) == []


async def test_duplicate_event_changes_nothing_when_the_handler_is_idempotent(
    bus: FactBus, redis: Redis, keys: RedisKeys
) -> None:
    replica = TicketReplica()
    consumer = make_consumer(redis, keys, [subscribe(TicketUpdated, replica.on_ticket_updated)])
    await consumer.ensure_groups()
    first = ticket_updated(version=0, price=1_000)
    second = ticket_updated(version=1, price=2_000)
    for event in (first, second, first, second):  # each published (delivered) twice
        await bus.publish(event)

    async def all_acked() -> bool:
        stream = keys.stream(TicketUpdated.STREAM)
        return replica.calls == 4 and await pending_count(redis, [stream], GROUP) == 0

    await drive(consumer, until=all_acked)

    assert replica.applied == [first.id, second.id]
    assert (replica.version, replica.price) == (1, 2_000)  # the late duplicate did not roll back


async def test_skipped_version_is_retried_until_the_gap_is_filled(
    bus: FactBus, redis: Redis, keys: RedisKeys
) -> None:
    replica = TicketReplica()
    consumer = make_consumer(redis, keys, [subscribe(TicketUpdated, replica.on_ticket_updated)])
    await consumer.ensure_groups()
    first = ticket_updated(version=0, price=1_000)
    second = ticket_updated(version=1, price=2_000)
    await bus.publish(second)  # arrives before the version it follows
    await bus.publish(first)

    await drive(consumer, until=lambda: len(replica.applied) == 2)

    assert replica.applied == [first.id, second.id]
    assert (replica.version, replica.price) == (1, 2_000)
    stream = keys.stream(TicketUpdated.STREAM)
    assert await pending_count(redis, [stream], GROUP) == 0
    assert await dead_letters(redis, keys) == []

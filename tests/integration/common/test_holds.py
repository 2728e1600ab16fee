"""Fair holds against the real redis-server: the cap counted atomically, dead holds dropped
by their deadline, the re-hold cooldown, one Cluster slot per buyer, and the purchase lock
taken and handed to a payment at the hold's own deadline."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from redis.asyncio import Redis

from backend.common.holds import SKEW_MS, HoldPolicy, Holds, Refusal
from backend.common.keys import RedisKeys
from backend.common.ticket_locks import Seats, TicketLocks

pytestmark = pytest.mark.integration

LONG_MS = 60_000
POLICY = HoldPolicy(cap=4, cooldown_ms=60_000)


@pytest.fixture
def locks(redis: Redis, keys: RedisKeys) -> TicketLocks:
    return TicketLocks(redis, keys)


@pytest.fixture
def holds(locks: TicketLocks) -> Holds:
    return locks.holds


async def lock_order_until(locks: TicketLocks, ticket: str, order: str, deadline_ms: int) -> bool:
    """Take the ticket's lock for an order as ``POST /api/orders`` does (its pipeline)."""
    async with locks.redis.pipeline(transaction=False) as pipe:
        locks.queue_lock_order(pipe, ticket, order, deadline_ms)
        won, _ = await pipe.execute()
    return bool(won)


async def deadline_of(redis: Redis, key: str) -> int:
    """When the key expires (epoch ms, Redis' clock), in one command: ``TIME`` then
    ``PTTL`` in two round trips was off by the time between them (3 ms once in CI)."""
    return int(await redis.pexpiretime(key))  # type: ignore[misc]  # sync|async stubs


def hash_slot_tag(key: str) -> str:
    """What Redis Cluster hashes: the first ``{...}``'s content when not empty."""
    start = key.find("{")
    end = key.find("}", start + 1)
    return key[start + 1 : end] if start >= 0 and end > start + 1 else key


def test_a_buyers_hold_keys_share_one_cluster_slot(keys: RedisKeys) -> None:
    assert hash_slot_tag(keys.holds_open("u1")) == hash_slot_tag(keys.holds_ended("u1")) == "u:u1"
    assert hash_slot_tag(keys.holds_open("u1")) != hash_slot_tag(keys.holds_open("u2"))


async def test_exactly_the_cap_is_reserved_when_one_buyer_races_thirty(holds: Holds) -> None:
    outcomes = await asyncio.gather(
        *(
            holds.reserve(
                buyer_id="b", ticket_id=f"t{i}", order_id=f"o{i}", ttl_ms=LONG_MS, policy=POLICY
            )
            for i in range(30)
        )
    )

    granted = [r for r in outcomes if r.refusal is None]
    assert len(granted) == 4
    assert {r.refusal for r in outcomes if r.refusal is not None} == {Refusal.CAP}
    assert all(0 < r.wait_ms <= LONG_MS for r in outcomes if r.refusal is not None)
    assert await holds.open_count("b") == 4
    # Another buyer is counted apart.
    other = await holds.reserve(
        buyer_id="c", ticket_id="t0", order_id="x", ttl_ms=LONG_MS, policy=POLICY
    )
    assert other.refusal is None and other.held == 1


async def test_a_dead_hold_stops_counting_at_its_deadline_and_starts_the_cooldown(
    holds: Holds,
) -> None:
    policy = HoldPolicy(cap=1, cooldown_ms=60_000)
    first = await holds.reserve(
        buyer_id="b", ticket_id="t1", order_id="o1", ttl_ms=200, policy=policy
    )
    assert first.refusal is None
    refused = await holds.reserve(
        buyer_id="b", ticket_id="t2", order_id="o2", ttl_ms=200, policy=policy
    )
    assert refused.refusal is Refusal.CAP

    await asyncio.sleep((200 + SKEW_MS) / 1000 + 0.1)  # nobody ends it: every worker down

    second = await holds.reserve(
        buyer_id="b", ticket_id="t2", order_id="o2", ttl_ms=LONG_MS, policy=policy
    )
    assert second.refusal is None and second.held == 1
    again = await holds.reserve(
        buyer_id="b", ticket_id="t1", order_id="o3", ttl_ms=LONG_MS, policy=policy
    )
    assert again.refusal is Refusal.COOLDOWN  # t1 expired unsold: its cooldown runs


async def test_ending_unsold_starts_the_cooldown_once_and_sold_does_not(holds: Holds) -> None:
    hold: dict[str, Any] = {"buyer_id": "b", "ticket_id": "t1", "order_id": "o1"}
    assert (await holds.reserve(**hold, ttl_ms=LONG_MS, policy=POLICY)).refusal is None

    assert await holds.end(**hold, sold=False) is True
    assert await holds.end(**hold, sold=False) is False  # a redelivered fact changes nothing

    cooled = await holds.reserve(
        buyer_id="b", ticket_id="t1", order_id="o2", ttl_ms=LONG_MS, policy=POLICY
    )
    assert cooled.refusal is Refusal.COOLDOWN
    assert 59_000 < cooled.wait_ms <= 60_000
    sold: dict[str, Any] = {"buyer_id": "b", "ticket_id": "t2", "order_id": "o3"}
    assert (await holds.reserve(**sold, ttl_ms=LONG_MS, policy=POLICY)).refusal is None
    assert await holds.end(**sold, sold=True) is True
    assert await holds.open_count("b") == 0


async def test_a_cancelled_reservation_frees_the_slot_without_a_cooldown(holds: Holds) -> None:
    policy = HoldPolicy(cap=1, cooldown_ms=60_000)
    hold: dict[str, Any] = {"buyer_id": "b", "ticket_id": "t1", "order_id": "o1"}
    assert (await holds.reserve(**hold, ttl_ms=LONG_MS, policy=policy)).refusal is None

    await holds.cancel(**hold)

    retry = await holds.reserve(
        buyer_id="b", ticket_id="t1", order_id="o2", ttl_ms=LONG_MS, policy=policy
    )
    assert retry.refusal is None


async def test_many_reservations_given_back_at_once_go_out_together_and_each_frees_its_slot(
    holds: Holds,
) -> None:
    # As in a sale: most of the buyers who reserved at once lose the lock, and give back.
    policy = HoldPolicy(cap=1, cooldown_ms=60_000)
    buyers = [f"b{i}" for i in range(300)]
    for buyer in buyers:
        reserved = await holds.reserve(
            buyer_id=buyer, ticket_id="t1", order_id=f"o-{buyer}", ttl_ms=LONG_MS, policy=policy
        )
        assert reserved.refusal is None
    before = holds._cancels.pipelines

    await asyncio.gather(
        *(holds.cancel(buyer_id=buyer, ticket_id="t1", order_id=f"o-{buyer}") for buyer in buyers)
    )

    assert holds._cancels.pipelines - before == 2  # 256 and 44, not 300 round trips
    assert [await holds.open_count(buyer) for buyer in buyers] == [0] * len(buyers)


async def test_the_lock_ends_at_the_holds_deadline_and_a_payment_extends_both(
    redis: Redis, keys: RedisKeys, locks: TicketLocks
) -> None:
    hold: dict[str, Any] = {"buyer_id": "b", "ticket_id": "t1", "order_id": "o1"}
    reservation = await locks.holds.reserve(**hold, ttl_ms=LONG_MS, policy=POLICY)
    assert await lock_order_until(locks, "t1", "o1", reservation.deadline_ms)
    lock_deadline = await deadline_of(redis, keys.ticket_lock("t1"))
    score = await redis.zscore(keys.holds_open("b"), "t1:o1")
    assert abs(lock_deadline - reservation.deadline_ms) <= 2
    assert score == reservation.deadline_ms + SKEW_MS

    assert await locks.start_paying("t1", "o1", 2 * LONG_MS, buyer_id="b")

    paying_deadline = await deadline_of(redis, keys.ticket_lock("t1"))
    assert paying_deadline > reservation.deadline_ms
    paid_score = await redis.zscore(keys.holds_open("b"), "t1:o1")
    assert paid_score is not None and abs(paid_score - SKEW_MS - paying_deadline) <= 2


async def test_a_payment_cannot_revive_a_hold_whose_deadline_passed(
    redis: Redis, keys: RedisKeys, locks: TicketLocks
) -> None:
    hold: dict[str, Any] = {"buyer_id": "b", "ticket_id": "t1", "order_id": "o1"}
    reservation = await locks.holds.reserve(**hold, ttl_ms=200, policy=POLICY)
    assert await lock_order_until(locks, "t1", "o1", reservation.deadline_ms)
    await asyncio.sleep(0.3)  # the lock is gone; the member lingers for SKEW_MS

    assert await locks.start_paying("t1", "o1", LONG_MS, buyer_id="b") is False

    score = await redis.zscore(keys.holds_open("b"), "t1:o1")
    assert score == reservation.deadline_ms + SKEW_MS  # not extended
    assert await locks.holder("t1") is None


async def test_a_reservation_sent_again_is_told_its_deadline_not_counted_twice(
    holds: Holds,
) -> None:
    # As redis-py's cluster client sends a call again when the connection broke before its
    # reply came.
    policy = HoldPolicy(cap=1, cooldown_ms=60_000)
    hold: dict[str, Any] = {"buyer_id": "b", "ticket_id": "t1", "order_id": "o1"}
    first = await holds.reserve(**hold, ttl_ms=LONG_MS, policy=policy)
    again = await holds.reserve(**hold, ttl_ms=LONG_MS, policy=policy)

    assert first.refusal is None and again.refusal is None  # not refused at the cap it fills
    assert again.deadline_ms == first.deadline_ms
    assert await holds.open_count("b") == 1
    other = await holds.reserve(
        buyer_id="b", ticket_id="t2", order_id="o2", ttl_ms=LONG_MS, policy=policy
    )
    assert other.refusal is Refusal.CAP  # another order of the buyer still is


async def test_seats_held_again_for_the_same_order_are_the_seats_it_took(
    locks: TicketLocks,
) -> None:
    # The call sent again after its reply was lost finds its own seats locked: the same
    # seats, not a refusal (which would leave them locked for nobody until the deadline).
    seats = ["s1", "s2", "s3", "s4"]
    hold: dict[str, Any] = {"listing_id": "l1", "quantity": 2, "rule": "any", "total": 4}
    deadline = 2**41
    first = await locks.hold_seats(for_sale=seats, order_id="o1", deadline_ms=deadline, **hold)
    again = await locks.hold_seats(for_sale=seats, order_id="o1", deadline_ms=deadline, **hold)
    other = await locks.hold_seats(for_sale=seats, order_id="o2", deadline_ms=deadline, **hold)

    assert isinstance(first, Seats) and again == first
    assert isinstance(other, Seats) and set(other.ticket_ids).isdisjoint(first.ticket_ids)

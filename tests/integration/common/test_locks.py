"""Ownership locks against the real redis-server: NX acquire, owner-only CAS scripts, TTL."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from redis.asyncio import Redis

from backend.common.keys import RedisKeys
from backend.common.locks import Locks

pytestmark = pytest.mark.integration

LONG_TTL_MS = 60_000
TIMEOUT_S = 3.0


async def poll_until(condition: Callable[[], Awaitable[bool]]) -> None:
    """Wait until ``condition`` holds; fail the test after ``TIMEOUT_S``."""
    async with asyncio.timeout(TIMEOUT_S):
        # A key's expiry offers no event to await (keyspace notifications are off).
        while not await condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


@pytest.fixture
def locks(redis: Redis) -> Locks:
    return Locks(redis)


@pytest.fixture
def key(keys: RedisKeys) -> str:
    return keys.ticket_lock("ticket-1")


async def test_acquire_takes_a_free_key_with_its_ttl(locks: Locks, key: str) -> None:
    assert await locks.acquire(key, "alice", LONG_TTL_MS) is True
    assert await locks.owner(key) == "alice"
    remaining = await locks.remaining_ms(key)
    assert remaining is not None and 0 < remaining <= LONG_TTL_MS


async def test_acquire_is_refused_when_another_owner_holds_the_key(locks: Locks, key: str) -> None:
    await locks.acquire(key, "alice", LONG_TTL_MS)
    assert await locks.acquire(key, "bob", LONG_TTL_MS) is False
    assert await locks.acquire(key, "alice", LONG_TTL_MS) is False  # not re-entrant either
    assert await locks.owner(key) == "alice"


async def test_locks_on_different_tickets_are_independent(locks: Locks, keys: RedisKeys) -> None:
    assert await locks.acquire(keys.ticket_lock("a"), "alice", LONG_TTL_MS)
    assert await locks.acquire(keys.ticket_lock("b"), "bob", LONG_TTL_MS)


async def test_release_frees_the_key_for_the_owner(locks: Locks, key: str) -> None:
    await locks.acquire(key, "alice", LONG_TTL_MS)
    assert await locks.release(key, "alice") is True
    assert await locks.owner(key) is None
    assert await locks.acquire(key, "bob", LONG_TTL_MS) is True


async def test_release_does_nothing_when_caller_is_not_the_owner(locks: Locks, key: str) -> None:
    await locks.acquire(key, "alice", LONG_TTL_MS)
    assert await locks.release(key, "bob") is False
    assert await locks.owner(key) == "alice"


async def test_release_does_nothing_when_the_key_is_free(locks: Locks, key: str) -> None:
    assert await locks.release(key, "alice") is False
    assert await locks.owner(key) is None


async def test_extend_resets_the_ttl_for_the_owner(locks: Locks, key: str) -> None:
    await locks.acquire(key, "alice", 1_000)
    assert await locks.extend(key, "alice", LONG_TTL_MS) is True
    remaining = await locks.remaining_ms(key)
    assert remaining is not None and 1_000 < remaining <= LONG_TTL_MS
    assert await locks.owner(key) == "alice"


async def test_extend_does_nothing_when_caller_is_not_the_owner(locks: Locks, key: str) -> None:
    await locks.acquire(key, "alice", 1_000)
    assert await locks.extend(key, "bob", LONG_TTL_MS) is False
    remaining = await locks.remaining_ms(key)
    assert remaining is not None and remaining <= 1_000
    assert await locks.owner(key) == "alice"


async def test_extend_does_not_recreate_a_free_key(locks: Locks, key: str) -> None:
    assert await locks.extend(key, "alice", LONG_TTL_MS) is False
    assert await locks.owner(key) is None
    assert await locks.remaining_ms(key) is None


async def test_hand_over_gives_the_key_to_the_new_owner_with_the_new_ttl(
    locks: Locks, key: str
) -> None:
    await locks.acquire(key, "order-1", 1_000)
    assert await locks.hand_over(key, "order-1", "payment-1", LONG_TTL_MS) is True
    assert await locks.owner(key) == "payment-1"
    remaining = await locks.remaining_ms(key)
    assert remaining is not None and 1_000 < remaining <= LONG_TTL_MS
    # The previous owner has lost every right on the key.
    assert await locks.release(key, "order-1") is False
    assert await locks.extend(key, "order-1", LONG_TTL_MS) is False
    assert await locks.owner(key) == "payment-1"


async def test_hand_over_does_nothing_when_caller_is_not_the_owner(locks: Locks, key: str) -> None:
    await locks.acquire(key, "order-1", 1_000)
    assert await locks.hand_over(key, "intruder", "payment-1", LONG_TTL_MS) is False
    assert await locks.owner(key) == "order-1"
    remaining = await locks.remaining_ms(key)
    assert remaining is not None and remaining <= 1_000


async def test_hand_over_does_nothing_when_the_key_is_free(locks: Locks, key: str) -> None:
    assert await locks.hand_over(key, "order-1", "payment-1", LONG_TTL_MS) is False
    assert await locks.owner(key) is None


async def test_ttl_expiry_frees_the_key(locks: Locks, key: str) -> None:
    assert await locks.acquire(key, "alice", 150)

    async def freed() -> bool:
        return await locks.owner(key) is None

    await poll_until(freed)
    assert await locks.remaining_ms(key) is None
    assert await locks.acquire(key, "bob", LONG_TTL_MS) is True


async def test_expired_owner_cannot_release_the_next_owners_lock(locks: Locks, key: str) -> None:
    await locks.acquire(key, "alice", 150)

    async def taken_by_bob() -> bool:
        return await locks.acquire(key, "bob", LONG_TTL_MS)

    await poll_until(taken_by_bob)
    assert await locks.release(key, "alice") is False
    assert await locks.extend(key, "alice", LONG_TTL_MS) is False
    assert await locks.hand_over(key, "alice", "mallory", LONG_TTL_MS) is False
    assert await locks.owner(key) == "bob"


async def test_exactly_one_of_many_concurrent_acquirers_wins(locks: Locks, key: str) -> None:
    owners = [f"buyer-{n}" for n in range(50)]
    results = await asyncio.gather(*(locks.acquire(key, owner, LONG_TTL_MS) for owner in owners))
    assert results.count(True) == 1
    winner = owners[results.index(True)]
    assert await locks.owner(key) == winner

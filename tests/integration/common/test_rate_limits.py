"""Rate limits against the real redis-server: counted atomically, published to bots."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from backend.common.errors import TooManyRequests
from backend.common.keys import RedisKeys
from backend.common.rate_limits import Quota, RateLimiter

pytestmark = pytest.mark.integration

PER_MINUTE = Quota("test-quota", amount=5, per_seconds=60)


@pytest.fixture
def limiter(redis: Redis, keys: RedisKeys) -> RateLimiter:
    return RateLimiter(redis, keys)


async def test_parallel_requests_cannot_all_slip_under_the_limit(limiter: RateLimiter) -> None:
    async def one() -> bool:
        try:
            await limiter.spend([(PER_MINUTE, "bot")], "Slow down")
        except TooManyRequests:
            return False
        return True

    results = await asyncio.gather(*(one() for _ in range(30)))
    assert results.count(True) == PER_MINUTE.amount


async def test_the_budget_left_is_told_and_the_refusal_says_when_to_come_back(
    limiter: RateLimiter,
) -> None:
    first = await limiter.spend([(PER_MINUTE, "bot")], "Slow down")
    assert first.headers() == {
        "RateLimit-Limit": "5",
        "RateLimit-Remaining": "4",
        "RateLimit-Reset": first.headers()["RateLimit-Reset"],
        "RateLimit-Policy": "5;w=60",
    }
    assert 1 <= first.reset_seconds <= 60
    for _ in range(4):
        await limiter.spend([(PER_MINUTE, "bot")], "Slow down")
    with pytest.raises(TooManyRequests) as refused:
        await limiter.spend([(PER_MINUTE, "bot")], "Slow down", field="ticketId")
    assert refused.value.items[0].message == "Slow down"
    assert refused.value.items[0].field == "ticketId"
    assert 1 <= int(refused.value.headers["Retry-After"]) <= 60
    assert refused.value.headers["RateLimit-Remaining"] == "0"


async def test_each_caller_has_its_own_budget_and_the_tightest_is_told(
    limiter: RateLimiter,
) -> None:
    per_address = Quota("test-address", amount=3, per_seconds=60)
    for _ in range(5):
        await limiter.spend([(PER_MINUTE, "alice")], "Slow down")
    with pytest.raises(TooManyRequests):
        await limiter.spend([(PER_MINUTE, "alice")], "Slow down")
    budget = await limiter.spend([(PER_MINUTE, "bob"), (per_address, "10.0.0.1")], "Slow down")
    assert (budget.limit, budget.remaining) == (3, 2)


async def test_counters_live_under_the_namespace(
    limiter: RateLimiter, redis: Redis, keys: RedisKeys
) -> None:
    await limiter.spend([(PER_MINUTE, "bot")], "Slow down")
    stored = [key async for key in redis.scan_iter("*")]
    assert stored
    assert stored == [keys.rate_limit(PER_MINUTE.name, "bot")], stored
    assert all(key.startswith(keys.namespace + ":rate:") for key in stored), stored


async def test_a_refunded_request_is_not_counted_and_a_refused_one_never_was(
    limiter: RateLimiter,
) -> None:
    hits = [await limiter.hit(PER_MINUTE, "bot") for _ in range(5)]
    assert [h.budget.remaining for h in hits] == [4, 3, 2, 1, 0]
    refused = await limiter.hit(PER_MINUTE, "bot")
    assert not refused.admitted
    await limiter.refund(refused)  # nothing to give back
    await limiter.refund(hits[0])
    again = await limiter.hit(PER_MINUTE, "bot")
    assert (again.admitted, again.budget.remaining) == (True, 0)
    assert not (await limiter.hit(PER_MINUTE, "bot")).admitted

"""The first look of ``POST /api/orders`` on one redis-server takes the buyer's hold and the
ticket's lock in the round trip that found the ticket free (``backend/orders/fairness.py``):
the buyers of a burst who lose never reserve a hold to give it back, and what the winner
holds is exactly what the two-step path (a Redis Cluster's) would hold."""

from __future__ import annotations

import asyncio
import time
from functools import partial

import pytest
from redis.asyncio import Redis

from backend.common.holds import SKEW_MS
from backend.common.keys import RedisKeys
from tests.support.api import User, eventually
from tests.support.rest_stack import SignUp

pytestmark = pytest.mark.integration

RACERS = 12
LOCK_MS = 900_000  # the stack's lock_ttl_seconds


async def given_back(redis: Redis) -> int:
    """``ZREM`` calls so far: only a hold given back (or ended) removes a member."""
    stats = await redis.info("commandstats")
    return int(stats.get("cmdstat_zrem", {}).get("calls", 0))


async def test_the_losers_of_a_burst_reserve_nothing_and_the_winner_holds_until_the_deadline(
    seller: User, sign_up: SignUp, redis: Redis, keys: RedisKeys
) -> None:
    ticket = await seller.sell(4_000)
    ticket_id = str(ticket["id"])
    known = await eventually(partial(seller.buy, ticket_id), lambda r: r.status_code != 404)
    assert known.status_code == 409, known.text  # the orders service knows it
    buyers = list(await asyncio.gather(*(sign_up(f"racer{i}") for i in range(RACERS))))
    before = await given_back(redis)
    started_ms = int(time.time() * 1000)

    answers = await asyncio.gather(*(buyer.buy(ticket_id) for buyer in buyers))

    assert sorted(a.status_code for a in answers) == [201] + [409] * (RACERS - 1)
    # No loser reserved a hold to give it back: each lost at its first look.
    assert await given_back(redis) == before
    [(winner, order)] = [
        (buyer, answer.json())
        for buyer, answer in zip(buyers, answers, strict=True)
        if answer.is_success
    ]
    for loser in (b for b in buyers if b is not winner):
        assert not await redis.exists(keys.holds_open(loser.id))
    # The winner: one hold, the lock naming the order, both ending at the order's deadline.
    [(member, score)] = await redis.zrange(keys.holds_open(winner.id), 0, -1, withscores=True)
    assert member == f"{ticket_id}:{order['id']}"
    lock = keys.ticket_lock(ticket_id)
    assert await redis.get(lock) == f"order:{order['id']}"
    deadline_ms = int(score) - SKEW_MS
    assert await redis.pexpiretime(lock) == deadline_ms  # type: ignore[misc]  # sync|async stubs
    assert started_ms + LOCK_MS - 1_000 <= deadline_ms <= int(time.time() * 1000) + LOCK_MS

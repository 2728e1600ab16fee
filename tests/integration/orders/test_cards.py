"""Ticket cards against the real redis-server: the lock taken with the card read behind
it, in one pipeline."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis

from backend.common.keys import RedisKeys
from backend.common.ticket_locks import Holder, HolderKind, TicketLocks
from backend.orders.cards import Terms, TicketCards
from wire.values import Event, Money

pytestmark = pytest.mark.integration

LONG_MS = 60_000


async def test_a_lock_taken_again_for_the_same_order_is_still_won(
    redis: Redis, keys: RedisKeys
) -> None:
    # The lock-and-read pipeline sent again after its reply was lost finds the lock
    # naming its own order: won, not lost (the order would be refused and the ticket
    # left locked for nobody until the deadline).
    cards, locks = TicketCards(redis, keys), TicketLocks(redis, keys)
    deadline = int(time.time() * 1000) + LONG_MS
    first = await cards.lock_priced(locks, "t1", "o1", deadline)
    again = await cards.lock_priced(locks, "t1", "o1", deadline)
    other = await cards.lock_priced(locks, "t1", "o2", deadline)

    assert first.won and again.won
    assert not other.won and other.holder == Holder(HolderKind.ORDER, "o1")


async def test_the_winner_reads_the_terms_behind_the_lock_and_a_loser_does_not(
    redis: Redis, keys: RedisKeys
) -> None:
    cards, locks = TicketCards(redis, keys), TicketLocks(redis, keys)
    event = Event(
        name="The Band", kind="concert", venue="Arena", starts_at=datetime.now(UTC), id="e1"
    )
    terms = Terms(
        seller_id="s1", title="Front row", event=event, price=Money(amount=5_000, currency="usd")
    )
    await cards.put("t1", None, version=3, owner_id="s1", status="available", terms=terms)
    deadline = int(time.time() * 1000) + LONG_MS

    won = await cards.lock_priced(locks, "t1", "o1", deadline)
    lost = await cards.lock_priced(locks, "t1", "o2", deadline)

    assert won.won and won.priced is not None
    assert (won.priced.version, won.priced.terms) == (3, terms)
    assert not lost.won and lost.priced is None  # most of a sale: no terms parsed for it

"""The gateway's event handlers against the real journal, with events in the order several
replicas of one consumer group can apply them (each takes whichever message it is handed,
and a failed one is retried later, after its successors)."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId
from redis.asyncio import Redis

from backend.common.bus import RetryLater
from backend.common.facts import OrderCancelled, OrderCreated
from backend.common.settings import Settings
from backend.live.handlers import LiveHandlers
from tests.support.live_fixtures import journal_of
from wire.values import CancelReason, Money

pytestmark = pytest.mark.integration


async def test_an_order_cancelled_before_its_creation_was_journaled_ends_cancelled(
    settings: Settings, redis: Redis
) -> None:
    journal = journal_of(redis, settings)
    handlers = LiveHandlers(journal)
    buyer, seller, order_id, ticket_id = (str(ObjectId()) for _ in range(4))
    created = OrderCreated(
        version=0,
        order_id=order_id,
        ticket_id=ticket_id,
        buyer_id=buyer,
        seller_id=seller,
        price=Money(amount=5_000, currency="usd"),
        expires_at=datetime.now(UTC) + timedelta(minutes=15),
    )
    cancelled = OrderCancelled(
        version=1, order_id=order_id, ticket_id=ticket_id, buyer_id=buyer, reason=CancelReason.BUYER
    )

    # One replica handles the cancellation while the creation is still on its way (or
    # failed once and waits for its retry); a handler may defer with RetryLater.
    deferred = False
    try:
        await handlers.on_order_cancelled(cancelled)
    except RetryLater:
        deferred = True
    await handlers.on_order_created(created)
    if deferred:
        with contextlib.suppress(RetryLater):
            await handlers.on_order_cancelled(cancelled)

    for user in (buyer, seller):
        _, orders = await journal.orders_snapshot(user)
        assert [(o["id"], o["status"]) for o in orders] == [(order_id, "cancelled")], user
    # Both were told, and the last word on the order is its cancellation.
    journaled = await journal.since(0)
    assert journaled
    assert '"type":"order.cancelled"' in journaled[-1].frame
    assert journaled[-1].users == {buyer, seller}

"""The gateway's event handlers against the real journal, with events in the order several
replicas of one consumer group can apply them (each takes whichever message it is handed,
and a failed one is retried later, after its successors)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId
from redis.asyncio import Redis

from backend.common.bus import RetryLater
from backend.common.db import open_database
from backend.common.facts import OrderCancelled, OrderCreated, UserCreated, UserUpdated
from backend.common.settings import Settings
from backend.common.user_replica import UserReplica, on_user_fact
from backend.live.handlers import LiveHandlers
from backend.live.journal import Journal
from tests.support.live_fixtures import journal_of, ticket_fact
from wire.values import CancelReason, Money

pytestmark = pytest.mark.integration


@pytest.fixture
async def replica(settings: Settings) -> AsyncIterator[None]:
    """The live service's replica of users, on a database of this test's own."""
    client = await open_database(settings.mongo_url, settings.database_name("live"), [UserReplica])
    yield
    await client.close()


def user_fact(user_id: str, version: int, name: str) -> UserCreated:
    kind = UserCreated if version == 0 else UserUpdated
    return kind(version=version, user_id=user_id, email=f"{user_id}@example.com", display_name=name)


async def last_seller_name(journal: Journal) -> object:
    journaled = await journal.since(0)
    assert journaled
    return json.loads(journaled[-1].frame)["ticket"]["sellerName"]


async def test_a_ticket_message_names_its_seller_as_the_newest_user_fact_told(
    settings: Settings, redis: Redis, replica: None
) -> None:
    journal = journal_of(redis, settings)
    handlers = LiveHandlers(journal)
    seller, ticket_id = str(ObjectId()), str(ObjectId())

    await handlers.on_user_fact(user_fact(seller, 0, "Sam"))
    await handlers.on_ticket_fact(ticket_fact(ticket_id, seller))
    assert await last_seller_name(journal) == "Sam"

    renamed = 'Zoë "Z" \\ 🎫'  # kept as written through Lua's JSON
    await handlers.on_user_fact(user_fact(seller, 2, renamed))
    await handlers.on_user_fact(user_fact(seller, 1, "Sammy"))  # older, delivered late
    await handlers.on_ticket_fact(ticket_fact(ticket_id, seller, version=1, amount=4_500))
    assert await last_seller_name(journal) == renamed
    assert (await journal.ticket_and_name(ticket_id, seller))[1] == renamed
    assert (await UserReplica.get(seller)) is not None


async def test_a_seller_only_the_replica_knows_is_named_and_the_journal_keeps_the_name(
    settings: Settings, redis: Redis, replica: None
) -> None:
    """A user told before the journal kept names (or a Redis that lost them): the replica
    says, once."""
    journal = journal_of(redis, settings)
    handlers = LiveHandlers(journal)
    seller, ticket_id = str(ObjectId()), str(ObjectId())
    await on_user_fact(user_fact(seller, 3, "Old Hand"))  # the replica alone
    assert (await journal.ticket_and_name(ticket_id, seller))[1] is None

    await handlers.on_ticket_fact(ticket_fact(ticket_id, seller))
    assert await last_seller_name(journal) == "Old Hand"
    assert (await journal.ticket_and_name(ticket_id, seller))[1] == "Old Hand"
    # What the journal kept is at the replica's version: an older fact does not undo it.
    assert not await journal.remember_name(seller, 2, "Older")
    assert await journal.remember_name(seller, 4, "Newer")


async def test_a_seller_nobody_knows_is_told_without_a_name(
    settings: Settings, redis: Redis, replica: None
) -> None:
    journal = journal_of(redis, settings)
    handlers = LiveHandlers(journal)
    seller = str(ObjectId())
    await handlers.on_ticket_fact(ticket_fact(str(ObjectId()), seller))
    assert await last_seller_name(journal) is None


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

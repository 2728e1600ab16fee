"""The unit of work against the Mongo-wire server and redis-server: a change is applied
only over the state it was computed from, its facts go into the same write, and the relay
is handed the document's outbox so they go out without waiting for its poll."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import cast

import pymongo
import pytest
from beanie import Document, PydanticObjectId
from beanie.odm.utils.dump import get_dict
from pymongo.errors import DuplicateKeyError
from redis.asyncio import Redis

from backend.auth.models import User
from backend.common.batches import encoded
from backend.common.bus import FactBus
from backend.common.db import open_database
from backend.common.facts import UserUpdated
from backend.common.keys import RedisKeys
from backend.common.outbox import OutboxEntry, OutboxRelay, outbox_push
from backend.common.settings import Settings
from backend.common.unit_of_work import Aggregate, UnitOfWork
from backend.orders.models import Order
from backend.payments.ledger import EntryKind, LedgerEntry, Line
from backend.payments.models import Payment
from backend.tickets.models import EventRecord, Ticket
from wire.events import Availability, Venue
from wire.values import (
    CancelReason,
    Event,
    EventKind,
    Money,
    PriceBreakdown,
    SplitRule,
    TicketStatus,
)

pytestmark = pytest.mark.integration


class Account(Document, Aggregate):
    display_name: str
    status: str = "open"
    email: str | None = None  # unique where given

    class Settings:
        name = "accounts"
        indexes = [
            pymongo.IndexModel(
                [("email", 1)], unique=True, partialFilterExpression={"email": {"$type": "string"}}
            )
        ]


@pytest.fixture
async def relay(settings: Settings, redis: Redis, keys: RedisKeys) -> AsyncIterator[OutboxRelay]:
    client = await open_database(settings.mongo_url, settings.database_name("uowtest"), [Account])
    # A poll far longer than the test: anything published in time was woken, not polled.
    relay = OutboxRelay([Account], FactBus(redis, keys), poll_seconds=3600)
    task = asyncio.create_task(relay.run())
    await asyncio.sleep(0.05)  # its first (empty) round
    yield relay
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await client.close()


@pytest.fixture
def uow(relay: OutboxRelay) -> UnitOfWork:
    return UnitOfWork(relay)


def renamed(account: Account) -> list[UserUpdated]:
    return [
        UserUpdated(
            user_id=str(account.id),
            email="ada@example.com",
            display_name=account.display_name,
            version=account.version,
        )
    ]


async def published(redis: Redis, keys: RedisKeys, count: int) -> list[UserUpdated]:
    async with asyncio.timeout(2):
        while True:
            entries = cast(
                list[tuple[str, dict[str, str]]],
                await redis.xrange(keys.stream(UserUpdated.STREAM)),
            )
            if len(entries) >= count:
                return [UserUpdated.model_validate_json(f["data"]) for _, f in entries]
            await asyncio.sleep(0.01)


async def stored(account: Account) -> Account:
    fresh = await Account.get(account.id)
    assert fresh is not None
    return fresh


async def test_add_inserts_with_its_facts_and_they_go_out_at_once(
    uow: UnitOfWork, redis: Redis, keys: RedisKeys
) -> None:
    account = Account(id=PydanticObjectId(), display_name="Ada")
    fact = renamed(account)[0]

    await uow.add(account, fact)

    assert await published(redis, keys, 1) == [fact]


async def test_commit_sets_changes_bumps_the_version_and_builds_facts_from_the_new_state(
    uow: UnitOfWork, redis: Redis, keys: RedisKeys
) -> None:
    account = await uow.add(Account(id=PydanticObjectId(), display_name="Ada"))

    updated = await uow.commit(account, {"display_name": "Ada L."}, renamed)

    assert updated is not None
    assert (updated.display_name, updated.version) == ("Ada L.", 1)
    assert (await stored(account)).model_dump(exclude={"outbox"}) == updated.model_dump(
        exclude={"outbox"}
    )
    [fact] = await published(redis, keys, 1)
    assert (fact.display_name, fact.version) == ("Ada L.", 1)


async def test_commit_hands_over_the_whole_outbox_so_an_older_pending_fact_goes_first(
    uow: UnitOfWork, redis: Redis, keys: RedisKeys
) -> None:
    account = await uow.add(Account(id=PydanticObjectId(), display_name="Ada"))
    # Another process's commit, whose relay has not sent its fact yet.
    older = UserUpdated(
        user_id=str(account.id), email="ada@example.com", display_name="Ada L.", version=1
    )
    await Account.get_pymongo_collection().update_one(
        {"_id": account.id},
        {"$set": {"display_name": "Ada L.", "version": 1}, "$push": outbox_push(older)},
    )

    updated = await uow.commit(await stored(account), {"display_name": "Ada Lovelace"}, renamed)

    assert updated is not None
    # Sent at once by this process's relay (its poll is an hour away), in their order.
    facts = await published(redis, keys, 2)
    assert [(fact.display_name, fact.version) for fact in facts] == [
        ("Ada L.", 1),
        ("Ada Lovelace", 2),
    ]


async def test_commit_over_a_stale_read_writes_nothing(uow: UnitOfWork) -> None:
    account = await uow.add(Account(id=PydanticObjectId(), display_name="Ada"))
    assert await uow.commit(account, {"display_name": "Ada L."}, renamed) is not None

    stale = await uow.commit(account, {"display_name": "Lost"}, renamed)  # read at version 0

    assert stale is None
    fresh = await stored(account)
    assert (fresh.display_name, fresh.version) == ("Ada L.", 1)
    assert [OutboxEntry.model_validate(e).type for e in fresh.outbox] in ([], ["UserUpdated"])


async def test_concurrent_commits_from_one_read_have_exactly_one_winner(
    uow: UnitOfWork, redis: Redis, keys: RedisKeys
) -> None:
    account = await uow.add(Account(id=PydanticObjectId(), display_name="Ada"))

    results = await asyncio.gather(
        *(uow.commit(account, {"display_name": f"Writer {n}"}, renamed) for n in range(20))
    )

    winners = [result for result in results if result is not None]
    assert len(winners) == 1
    fresh = await stored(account)
    assert (fresh.display_name, fresh.version) == (winners[0].display_name, 1)
    assert [fact.display_name for fact in await published(redis, keys, 1)] == [
        winners[0].display_name
    ]


async def test_an_expect_guard_replaces_the_version_check(uow: UnitOfWork) -> None:
    account = await uow.add(Account(id=PydanticObjectId(), display_name="Ada"))
    closed = await uow.commit(account, {"status": "closed"}, expect={"status": "open"})
    assert closed is not None

    again = await uow.commit(closed, {"status": "closed"}, expect={"status": "open"})

    assert again is None
    assert (await stored(account)).version == 1


async def test_adds_of_one_moment_go_in_one_insert_each_stored_with_its_facts(
    uow: UnitOfWork, redis: Redis, keys: RedisKeys
) -> None:
    accounts = [Account(display_name=f"Buyer {n}") for n in range(40)]  # ids given by Mongo
    facts = [
        UserUpdated(user_id=str(n), email=f"{n}@example.com", display_name=f"Buyer {n}", version=0)
        for n in range(40)
    ]
    before = uow._inserts.commands

    added = await asyncio.gather(*(uow.add(a, f) for a, f in zip(accounts, facts, strict=True)))

    assert uow._inserts.commands - before == 1
    assert all(account.id is not None for account in added)
    assert len({account.id for account in added}) == 40
    for account in added:
        assert (await stored(account)).display_name == account.display_name
    assert sorted(f.user_id for f in await published(redis, keys, 40)) == sorted(
        f.user_id for f in facts
    )


async def test_a_duplicate_among_adds_of_one_moment_is_refused_alone(
    uow: UnitOfWork, redis: Redis, keys: RedisKeys
) -> None:
    await uow.add(Account(id=PydanticObjectId(), display_name="First", email="taken@example.com"))
    emails = ["a@example.com", "taken@example.com", "b@example.com", "a@example.com"]
    accounts = [
        Account(id=PydanticObjectId(), display_name=f"Buyer {n}", email=email)
        for n, email in enumerate(emails)
    ]

    results = await asyncio.gather(
        *(uow.add(a, *renamed(a)) for a in accounts), return_exceptions=True
    )

    assert results[0] is accounts[0] and results[2] is accounts[2]
    assert isinstance(results[1], DuplicateKeyError) and isinstance(results[3], DuplicateKeyError)
    assert [await Account.get(a.id) is not None for a in accounts] == [True, False, True, False]
    # Only the stored ones' facts go out.
    published_names = {f.display_name for f in await published(redis, keys, 2)}
    await asyncio.sleep(0.2)
    assert published_names == {"Buyer 0", "Buyer 2"}
    assert len(await published(redis, keys, 2)) == 2


# Every document the services insert, with every field given (and once as it is made,
# before the database has given it an id): the fast encoding is Beanie's, value for value
# and type for type, so that no stored document changes with it.
def _money(amount: int) -> Money:
    return Money(amount=amount, currency="EUR")


def _documents() -> list[Document]:
    starts = datetime(2027, 3, 1, 19, 30, tzinfo=UTC)
    event = Event(name="Show", kind="concert", venue="Hall", starts_at=starts, id="e1", city="Oslo")
    breakdown = PriceBreakdown(
        list_price=_money(1000), buyer_fee=_money(100), seller_fee=_money(50)
    )
    fact = UserUpdated(user_id="u1", version=1, display_name="Ann", email="ann@example.com")
    outbox = [OutboxEntry.of(fact)]
    entry = LedgerEntry(
        id="sale:o1",
        kind=EntryKind.SALE,
        currency="EUR",
        stripe_id="ch_1",
        lines=[Line(account="buyer", amount=1100), Line(account="seller", amount=-1100)],
    )
    given = {"id": PydanticObjectId(), "outbox": outbox, "version": 3}
    documents: list[Document] = []
    for ids in (given, {}):
        documents += [
            User(
                email="ann@example.com",
                display_name="Ann",
                password_hash="h",
                roles=["scanner"],
                **ids,
            ),
            Ticket(
                title="Row 1",
                event=event,
                price=_money(1100),
                breakdown=breakdown,
                section="A",
                row="1",
                seat="7",
                seller_id="s1",
                owner_id="s1",
                status=TicketStatus.LOCKED,
                locked_until=starts,
                order_id="o1",
                listing_id="l1",
                split=SplitRule.ANY,
                listing_size=2,
                code_id="c1",
                code_serial=2,
                code_issued_at=starts,
                revoked_codes=["c0"],
                pending_transfer="x1",
                **ids,
            ),
            EventRecord(
                name="Show",
                performers=["Band"],
                kind=EventKind.CONCERT,
                venue=Venue(name="Hall", city="Oslo", country="NO", time_zone="Europe/Oslo"),
                starts_at=starts,
                doors_at=starts,
                ends_at=starts,
                key="show|hall|oslo|2027-03-01",
                availability=Availability(available=1, locked=2, sold=3, min_price=_money(900)),
                scanners=["u1"],
                availability_seq=4,
                **ids,
            ),
            Order(
                ticket_id="t1",
                ticket_ids=["t1", "t2"],
                listing_id="l1",
                buyer_id="b1",
                seller_id="s1",
                price=_money(1100),
                breakdown=breakdown,
                expires_at=starts,
                ticket_title="Row 1",
                event=event,
                cancel_reason=CancelReason.BUYER,
                **ids,
            ),
            Payment(
                order_id="o1",
                ticket_id="t1",
                buyer_id="b1",
                amount=_money(1100),
                payment_method_id="pm_card_visa",
                payment_intent_id="pi_1",
                client_secret="secret",
                failure_message="declined",
                breakdown=breakdown,
                seller_id="s1",
                title="Row 1",
                event=event,
                entries=[entry],
                payout_due_at=starts,
                transfer_id="tr_1",
                paid_out_at=starts,
                refund_requested_at=starts,
                refund_id="re_1",
                refunded_at=starts,
                money_error="later",
                **ids,
            ),
        ]
    return documents


def _typed(value: object) -> object:
    """A value with the type of everything in it, so that equal values of other types
    (an enum member and its string) tell apart."""
    if isinstance(value, dict):
        return {key: _typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_typed(item) for item in value]
    return (type(value), value)


async def test_a_new_document_is_encoded_as_beanie_encodes_it(settings: Settings) -> None:
    classes: list[type[Document]] = [User, Ticket, EventRecord, Order, Payment]
    client = await open_database(settings.mongo_url, settings.database_name("encode"), classes)
    try:
        documents = _documents()
        assert {type(d) for d in documents} == set(classes)
        for document in documents:
            assert document.get_settings().keep_nulls  # what ``encoded`` assumes
            beanies = get_dict(document, to_db=True, keep_nulls=True)
            assert _typed(encoded(document)) == _typed(beanies), type(document).__name__
    finally:
        await client.close()

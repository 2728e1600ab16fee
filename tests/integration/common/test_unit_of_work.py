"""The unit of work against the Mongo-wire server and redis-server: a change is applied
only over the state it was computed from, its facts go into the same write, and the relay
is woken so they go out without waiting for its poll."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import cast

import pytest
from beanie import Document, PydanticObjectId
from redis.asyncio import Redis

from backend.common.bus import FactBus
from backend.common.db import open_database
from backend.common.facts import UserUpdated
from backend.common.keys import RedisKeys
from backend.common.outbox import OutboxEntry, OutboxRelay
from backend.common.settings import Settings
from backend.common.unit_of_work import Aggregate, UnitOfWork

pytestmark = pytest.mark.integration


class Account(Document, Aggregate):
    display_name: str
    status: str = "open"

    class Settings:
        name = "accounts"


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

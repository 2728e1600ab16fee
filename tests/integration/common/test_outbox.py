"""The transactional outbox against the Mongo-wire server and redis-server: a change and its
event are one document write, and the relay publishes every entry at least once."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from typing import Any, cast

import pytest
from beanie import Document, PydanticObjectId
from pydantic import Field
from redis.asyncio import Redis

from backend.common.bus import Envelope, FactBus
from backend.common.db import open_database
from backend.common.facts import UserUpdated
from backend.common.keys import RedisKeys
from backend.common.outbox import (
    BATCH,
    PENDING,
    OutboxEntry,
    OutboxRelay,
    Written,
    outbox_push,
)
from backend.common.settings import Settings

pytestmark = pytest.mark.integration

TIMEOUT_S = 5.0


class Profile(Document):
    """A small aggregate with an outbox, shaped like the services' documents."""

    display_name: str
    version: int = 0
    outbox: list[OutboxEntry] = Field(default_factory=list)

    class Settings:
        name = "profiles"


class Badge(Document):
    """A second aggregate of the same service, in its own collection."""

    label: str
    version: int = 0
    outbox: list[OutboxEntry] = Field(default_factory=list)

    class Settings:
        name = "badges"


class ReadsRecorded(OutboxRelay):
    """The relay, noting when it read every collection for pending entries."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reads: list[float] = []

    async def _flush_found(self) -> set[str]:
        self.reads.append(time.monotonic())
        return await super()._flush_found()


class BusThatDiesAfterPublishing(FactBus):
    """Fault injection: the relay's process dies right after XADD, before the pull."""

    async def publish_envelopes(self, batch: Sequence[tuple[str, Envelope]]) -> list[str]:
        await super().publish_envelopes(batch)
        raise ConnectionResetError("relay died after publishing")


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[None]:
    client = await open_database(
        settings.mongo_url, settings.database_name("outboxtest"), [Profile, Badge]
    )
    yield
    await client.close()


@pytest.fixture
def bus(redis: Redis, keys: RedisKeys) -> FactBus:
    return FactBus(redis, keys)


@pytest.fixture
def relay(database: None, bus: FactBus, settings: Settings) -> OutboxRelay:
    return OutboxRelay([Profile], bus, poll_seconds=settings.outbox_poll_seconds)


def new_profile(display_name: str) -> Profile:
    # The id is chosen up front, so events can name the aggregate before its first write.
    return Profile(id=PydanticObjectId(), display_name=display_name)


def renamed(profile: Profile, display_name: str, version: int) -> UserUpdated:
    assert profile.id is not None
    return UserUpdated(
        user_id=str(profile.id),
        email="ada@example.com",
        display_name=display_name,
        version=version,
    )


async def published(redis: Redis, keys: RedisKeys) -> list[UserUpdated]:
    """Every event on the users stream, oldest first."""
    entries = cast(
        list[tuple[str, dict[str, str]]],
        await redis.xrange(keys.stream(UserUpdated.STREAM)),
    )
    assert all(fields["type"] == "UserUpdated" for _, fields in entries)
    return [UserUpdated.model_validate_json(fields["data"]) for _, fields in entries]


async def reload(profile: Profile) -> Profile:
    fresh = await Profile.get(profile.id)
    assert fresh is not None
    return fresh


async def test_entry_written_while_no_relay_runs_is_published_when_a_relay_starts(
    relay: OutboxRelay, redis: Redis, keys: RedisKeys
) -> None:
    profile = new_profile("Ada")
    event = renamed(profile, "Ada", 0)
    profile.outbox = [OutboxEntry.of(event)]
    await profile.insert()  # the process that wrote it stops before relaying
    assert await published(redis, keys) == []

    task = asyncio.create_task(relay.run())  # a restarted service starts its relay
    try:
        async with asyncio.timeout(TIMEOUT_S):
            # The relay's progress is only visible in Redis and Mongo: nothing to await.
            while (await reload(profile)).outbox:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    assert await published(redis, keys) == [event]


async def test_a_wake_sends_what_was_written_without_reading_and_the_poll_reads_it_all(
    database: None, bus: FactBus, redis: Redis, keys: RedisKeys
) -> None:
    poll_s = 1.0
    relay = ReadsRecorded([Profile, Badge], bus, poll_seconds=poll_s)
    task = asyncio.create_task(relay.run())
    try:
        async with asyncio.timeout(TIMEOUT_S):
            while not relay.reads:  # noqa: ASYNC110 - the read at start
                await asyncio.sleep(0.01)
        # An entry nobody tells the relay of (its writer died before relaying it).
        badge = Badge(id=PydanticObjectId(), label="early bird")
        left = renamed(new_profile("Orphan"), "Orphan", 0)
        badge.outbox = [OutboxEntry.of(left)]
        await badge.insert()
        profiles: list[Profile] = []
        # Writes told of wake the relay every 20 ms, more often than it polls, until the
        # badge's entry is out.
        async with asyncio.timeout(TIMEOUT_S):
            while left.id not in {fact.id for fact in await published(redis, keys)}:
                profile = new_profile(f"Ada {len(profiles)}")
                profile.outbox = [OutboxEntry.of(renamed(profile, "Ada", 0))]
                await profile.insert()
                relay.notify(Written(Profile, profile.id, 0, profile.outbox))
                profiles.append(profile)
                await asyncio.sleep(0.02)
            sent = {entry.id for profile in profiles for entry in profile.outbox}
            while not sent <= {fact.id for fact in await published(redis, keys)}:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    started, *later = relay.reads
    assert len(profiles) >= 10  # woken all along
    assert later and later[0] >= started + poll_s  # no read in between: each wake sent
    ids = Counter(fact.id for fact in await published(redis, keys))
    assert all(count == 1 for count in ids.values())  # a read sends nothing twice
    assert set(ids) == sent | {left.id}
    for profile in profiles:
        assert (await reload(profile)).outbox == []  # pulled


async def test_what_a_wake_sends_goes_out_in_the_order_of_each_documents_versions(
    relay: OutboxRelay, redis: Redis, keys: RedisKeys
) -> None:
    ada, bob = new_profile("Ada"), new_profile("Bob")
    first, second, other = renamed(ada, "A", 1), renamed(ada, "B", 2), renamed(bob, "C", 1)
    ada.outbox = [OutboxEntry.of(first), OutboxEntry.of(second)]
    bob.outbox = [OutboxEntry.of(other)]
    await ada.insert()
    await bob.insert()
    # Told of out of order: the second write's reply came back before the first's.
    told = [
        Written(Profile, ada.id, 2, [OutboxEntry.of(second)]),
        Written(Profile, bob.id, 1, [OutboxEntry.of(other)]),
        Written(Profile, ada.id, 1, [OutboxEntry.of(first)]),
    ]

    assert await relay.send(told) == 3

    events = await published(redis, keys)
    assert [e for e in events if e.user_id == str(ada.id)] == [first, second]
    assert other in events
    assert (await reload(ada)).outbox == []
    assert (await reload(bob)).outbox == []


async def test_flush_publishes_in_order_and_removes_entries_from_the_documents(
    relay: OutboxRelay, redis: Redis, keys: RedisKeys
) -> None:
    ada, bob = new_profile("Ada"), new_profile("Bob")
    first, second = renamed(ada, "Ada L.", 1), renamed(ada, "Ada Lovelace", 2)
    ada.outbox = [OutboxEntry.of(first), OutboxEntry.of(second)]
    other = renamed(bob, "Bob", 0)
    bob.outbox = [OutboxEntry.of(other)]
    await ada.insert()
    await bob.insert()

    assert await relay.flush() == 3

    events = await published(redis, keys)
    assert sorted(e.id for e in events) == sorted([first.id, second.id, other.id])
    ada_events = [e for e in events if e.user_id == str(ada.id)]
    assert ada_events == [first, second]  # one aggregate's events keep their order
    for profile in (ada, bob):
        fresh = await reload(profile)
        assert fresh.outbox == []
        assert fresh.display_name == profile.display_name  # only the outbox was touched
    assert await relay.flush() == 0
    assert len(await published(redis, keys)) == 3


async def test_flush_relays_more_documents_than_one_batch(
    relay: OutboxRelay, redis: Redis, keys: RedisKeys
) -> None:
    profiles = [new_profile(f"User {i}") for i in range(BATCH + 7)]
    events = []
    for i, profile in enumerate(profiles):
        event = renamed(profile, f"User {i}", 0)
        profile.outbox = [OutboxEntry.of(event)]
        events.append(event)
    await Profile.insert_many(profiles)

    assert await relay.flush() == BATCH + 7

    assert sorted(e.id for e in await published(redis, keys)) == sorted(e.id for e in events)
    assert await Profile.find(PENDING).count() == 0


async def test_pull_that_never_happened_gives_a_duplicate_with_the_same_id(
    relay: OutboxRelay, redis: Redis, keys: RedisKeys
) -> None:
    profile = new_profile("Ada")
    event = renamed(profile, "Ada", 0)
    profile.outbox = [OutboxEntry.of(event)]
    await profile.insert()
    assert await relay.flush() == 1
    # Put the entry back as if the relay had crashed before its pull was written.
    await Profile.get_pymongo_collection().update_one(
        {"_id": profile.id}, {"$push": outbox_push(OutboxEntry.of(event))}
    )

    assert await relay.flush() == 1

    assert await published(redis, keys) == [event, event]
    assert (await reload(profile)).outbox == []


async def test_relay_dying_after_publish_republishes_on_restart_and_loses_nothing(
    relay: OutboxRelay, redis: Redis, keys: RedisKeys
) -> None:
    profile = new_profile("Ada")
    event = renamed(profile, "Ada", 0)
    profile.outbox = [OutboxEntry.of(event)]
    await profile.insert()
    dying = OutboxRelay([Profile], BusThatDiesAfterPublishing(redis, keys))

    with pytest.raises(ConnectionResetError):
        await dying.flush()
    assert await published(redis, keys) == [event]
    assert (await reload(profile)).outbox == [OutboxEntry.of(event)]  # not pulled

    assert await relay.flush() == 1

    assert await published(redis, keys) == [event, event]
    assert (await reload(profile)).outbox == []


async def test_outbox_push_writes_the_change_and_its_event_in_one_update(
    relay: OutboxRelay, redis: Redis, keys: RedisKeys
) -> None:
    profile = new_profile("Ada")
    await profile.insert()
    collection = Profile.get_pymongo_collection()
    event = renamed(profile, "Ada L.", 1)

    result = await collection.update_one(
        {"_id": profile.id, "version": 0},
        {
            "$set": {"display_name": "Ada L.", "version": 1},
            "$push": outbox_push(OutboxEntry.of(event)),
        },
    )

    assert result.modified_count == 1
    fresh = await reload(profile)
    assert (fresh.display_name, fresh.version) == ("Ada L.", 1)
    assert fresh.outbox == [OutboxEntry.of(event)]

    # A stale compare-and-set writes neither the change nor its event.
    stale = renamed(profile, "Ada X.", 1)
    result = await collection.update_one(
        {"_id": profile.id, "version": 0},
        {
            "$set": {"display_name": "Ada X.", "version": 1},
            "$push": outbox_push(OutboxEntry.of(stale)),
        },
    )
    assert result.matched_count == 0
    fresh = await reload(profile)
    assert (fresh.display_name, fresh.version) == ("Ada L.", 1)
    assert fresh.outbox == [OutboxEntry.of(event)]

    assert await relay.flush() == 1
    assert await published(redis, keys) == [event]


async def test_concurrent_updates_leave_exactly_the_winners_event(
    relay: OutboxRelay, redis: Redis, keys: RedisKeys
) -> None:
    profile = new_profile("Ada")
    await profile.insert()
    collection = Profile.get_pymongo_collection()
    candidates = [renamed(profile, f"Ada {n}", 1) for n in range(10)]

    results = await asyncio.gather(
        *(
            collection.update_one(
                {"_id": profile.id, "version": 0},
                {
                    "$set": {"display_name": event.display_name, "version": 1},
                    "$push": outbox_push(OutboxEntry.of(event)),
                },
            )
            for event in candidates
        )
    )

    assert [r.modified_count for r in results].count(1) == 1
    fresh = await reload(profile)
    [entry] = fresh.outbox
    winner = next(event for event in candidates if event.id == entry.id)
    assert fresh.display_name == winner.display_name  # the state and its event match
    assert await relay.flush() == 1
    assert await published(redis, keys) == [winner]


async def test_the_relay_reads_pending_documents_through_a_partial_index_of_them_alone(
    relay: OutboxRelay,
) -> None:
    # What the relay asks for is what the index holds: MongoDB uses a partial index only
    # for a query that contains its filter, and then reads no other document.
    await relay.prepare()
    await relay.prepare()  # every start prepares it again: no error, one index
    indexes = await Profile.get_pymongo_collection().index_information()
    pending = indexes["outbox_pending"]
    assert pending["key"] == [("outbox.id", 1)]
    assert dict(pending["partialFilterExpression"]) == {"outbox.id": {"$exists": True}}
    assert PENDING == {"outbox.id": {"$exists": True}}
    waiting, relayed, never = new_profile("Ada"), new_profile("Bob"), new_profile("Cy")
    waiting.outbox = [OutboxEntry.of(renamed(waiting, "Ada", 0))]
    await Profile.insert_many([waiting, relayed, never])
    await Profile.get_pymongo_collection().update_one(
        {"_id": relayed.id}, {"$push": outbox_push(OutboxEntry.of(renamed(relayed, "Bob", 0)))}
    )
    await Profile.get_pymongo_collection().update_one({"_id": relayed.id}, {"$set": {"outbox": []}})
    found = await Profile.get_pymongo_collection().find(PENDING, {"_id": 1}).to_list()
    assert [doc["_id"] for doc in found] == [waiting.id]

"""The transactional outbox against the Mongo-wire server and redis-server: a change and its
event are one document write, and the relay publishes every entry at least once."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, cast

import pytest
from beanie import Document, PydanticObjectId
from pydantic import Field
from redis.asyncio import Redis

from backend.common.bus import Envelope, FactBus
from backend.common.db import open_database
from backend.common.facts import UserUpdated
from backend.common.keys import RedisKeys
from backend.common.outbox import BATCH, PENDING, OutboxEntry, OutboxRelay, outbox_push
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
    """The relay, noting when each flush ran and which collections it read."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.read: list[tuple[float, list[str]]] = []

    async def flush(self) -> int:
        self.read.append((time.monotonic(), [d.get_collection_name() for d in self.documents]))
        return await super().flush()


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


async def test_a_wake_sends_what_writes_handed_over_unread_and_the_poll_reads_everything(
    database: None, bus: FactBus, redis: Redis, keys: RedisKeys
) -> None:
    poll_s = 1.0
    relay = ReadsRecorded([Profile, Badge], bus, poll_seconds=poll_s)
    task = asyncio.create_task(relay.run())
    try:
        async with asyncio.timeout(TIMEOUT_S):
            while not relay.read:  # noqa: ASYNC110 - the flush at start
                await asyncio.sleep(0.01)
        # An entry nobody hands the relay (its writer died before relaying it).
        badge = Badge(id=PydanticObjectId(), label="early bird")
        left = renamed(new_profile("Orphan"), "Orphan", 0)
        badge.outbox = [OutboxEntry.of(left)]
        await badge.insert()
        sent: list[str] = []
        # Writes to the other collection wake the relay every 20 ms, more often than it
        # polls, until the badge's entry is out.
        async with asyncio.timeout(TIMEOUT_S):
            while left.id not in {fact.id for fact in await published(redis, keys)}:
                profile = new_profile(f"Ada {len(sent)}")
                profile.outbox = [OutboxEntry.of(renamed(profile, "Ada", 0))]
                await profile.insert()
                relay.notify(Profile, profile.id, profile.outbox)
                sent.append(profile.outbox[0].id)
                await asyncio.sleep(0.02)
        async with asyncio.timeout(TIMEOUT_S):
            while await Profile.find(PENDING).count():  # noqa: ASYNC110 - the last wakes
                await asyncio.sleep(0.01)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    (started, first), *later = relay.read
    assert first == ["profiles", "badges"]  # at start: every collection
    assert len(sent) >= 3
    # No wake read anything: every read is a poll, a poll interval after the one before;
    # the badge's entry went out with one, though the writes never stopped waking it.
    assert [read for _, read in later] == [["profiles", "badges"]] * len(later)
    assert all(at >= started + poll_s * 0.9 for at, _ in later[:1])
    out = [fact.id for fact in await published(redis, keys)]
    assert set(sent) <= set(out)
    assert left.id in out


class SendsCounted(OutboxRelay):
    """The relay, noting how many entries each round that sent handed-over outboxes
    published."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sends: list[int] = []

    async def send(self, *args: Any, **kwargs: Any) -> int:
        self.sends.append(await super().send(*args, **kwargs))
        return self.sends[-1]


class BusWrittenMeanwhile(FactBus):
    """Runs ``meanwhile`` as the relay publishes for the first time: a write made while
    the relay sends."""

    meanwhile: Callable[[], None] = staticmethod(lambda: None)

    async def publish_envelopes(self, batch: Sequence[tuple[str, Envelope]]) -> list[str]:
        meanwhile, self.meanwhile = self.meanwhile, lambda: None
        meanwhile()
        return await super().publish_envelopes(batch)


async def test_an_entry_handed_over_again_while_the_relay_sends_it_goes_out_once(
    database: None, redis: Redis, keys: RedisKeys
) -> None:
    """A write made while the relay sends an entry hands over its document's outbox with
    that entry still in it (not pulled yet): the relay's next round leaves it out."""
    bus = BusWrittenMeanwhile(redis, keys)
    relay = SendsCounted([Profile], bus, poll_seconds=60.0)  # a poll at start, then sends
    profile = new_profile("Ada")
    event = renamed(profile, "Ada", 0)
    profile.outbox = [OutboxEntry.of(event)]
    await profile.insert()
    bus.meanwhile = lambda: relay.notify(Profile, profile.id, list(profile.outbox))
    task = asyncio.create_task(relay.run())
    try:
        async with asyncio.timeout(TIMEOUT_S):
            while not relay.sends:  # noqa: ASYNC110 - the round after the one that sent it
                await asyncio.sleep(0.01)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    assert relay.sends == [0]
    assert await published(redis, keys) == [event]
    assert (await reload(profile)).outbox == []


async def test_a_documents_facts_go_out_in_order_whichever_writer_sends_them(
    database: None, bus: FactBus, redis: Redis, keys: RedisKeys
) -> None:
    """Two processes write one document; the second's relay sends before the first's: it
    sends the first's entry too (the outbox its write left), in order; the first's relay
    then sends a duplicate of it, never the second's entry before it."""
    first, second = OutboxRelay([Profile], bus), OutboxRelay([Profile], bus)
    profile = new_profile("Ada")
    await profile.insert()
    v1, v2 = renamed(profile, "Ada L.", 1), renamed(profile, "Ada Lovelace", 2)
    await Profile.find_one(Profile.id == profile.id).update({"$push": outbox_push(v1)})
    first_left = {Profile: {profile.id: (await reload(profile)).outbox}}  # what it hands over
    await Profile.find_one(Profile.id == profile.id).update({"$push": outbox_push(v2)})
    second_left = {Profile: {profile.id: (await reload(profile)).outbox}}

    assert await second.send(second_left) == 2
    assert await first.send(first_left) == 1

    assert [fact.version for fact in await published(redis, keys)] == [1, 2, 1]
    assert (await reload(profile)).outbox == []


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
        {"_id": profile.id}, {"$push": outbox_push(event)}
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
        {"$set": {"display_name": "Ada L.", "version": 1}, "$push": outbox_push(event)},
    )

    assert result.modified_count == 1
    fresh = await reload(profile)
    assert (fresh.display_name, fresh.version) == ("Ada L.", 1)
    assert fresh.outbox == [OutboxEntry.of(event)]

    # A stale compare-and-set writes neither the change nor its event.
    stale = renamed(profile, "Ada X.", 1)
    result = await collection.update_one(
        {"_id": profile.id, "version": 0},
        {"$set": {"display_name": "Ada X.", "version": 1}, "$push": outbox_push(stale)},
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
                    "$push": outbox_push(event),
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
        {"_id": relayed.id}, {"$push": outbox_push(renamed(relayed, "Bob", 0))}
    )
    await Profile.get_pymongo_collection().update_one({"_id": relayed.id}, {"$set": {"outbox": []}})
    found = await Profile.get_pymongo_collection().find(PENDING, {"_id": 1}).to_list()
    assert [doc["_id"] for doc in found] == [waiting.id]

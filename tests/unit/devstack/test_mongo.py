"""The Mongo-wire stand-in's two changes to its engine. ``keyed_id_checks``: a new
document's ``_id`` is found by its storage key, not compared with every stored one's,
unless it is numeric; a duplicate ``_id`` is refused as before, numeric ones included.
``keyed_id_lists``: ``{_id: {$in: [...]}}`` of text and ObjectIds reads those documents
alone, and finds, updates and deletes exactly what the engine's own way finds."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import mongoeco.engines.memory as memory
import pytest
from bson import Int64, ObjectId, Regex
from mongoeco import AsyncMongoClient
from mongoeco.errors import DuplicateKeyError

from tools.devstack.mongo import keyed_id_checks, keyed_id_lists

pytestmark = pytest.mark.unit


@pytest.fixture
def comparisons(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Applies the change for this test only, and counts the engine's ``_id`` comparisons."""
    monkeypatch.setattr(  # put back as it was after the test
        memory.MemoryEngine, "_ensure_unique_indexes", memory.MemoryEngine._ensure_unique_indexes
    )
    assert keyed_id_checks()
    count = [0]
    compare: Callable[[Any], Any] = getattr(memory, "bson_equality_key")  # noqa: B009

    def counted(value: Any) -> Any:
        count[0] += 1
        return compare(value)

    monkeypatch.setattr(memory, "bson_equality_key", counted)
    yield count


async def collection_of(stored: int) -> Any:
    client: Any = AsyncMongoClient(engine=memory.MemoryEngine())
    collection = client.standin.things
    for n in range(stored):
        await collection.insert_one({"_id": ObjectId(), "n": n})
    return collection


async def test_a_new_object_id_is_found_by_its_key_not_compared_with_every_stored_one(
    comparisons: list[int],
) -> None:
    collection = await collection_of(50)
    comparisons[0] = 0
    await collection.insert_one({"_id": ObjectId()})
    await collection.insert_one({"_id": "a-text-id"})
    assert comparisons[0] == 0
    assert await collection.count_documents({}) == 52


async def test_a_numeric_id_is_still_compared_with_every_stored_one(
    comparisons: list[int],
) -> None:
    collection = await collection_of(20)
    comparisons[0] = 0
    await collection.insert_one({"_id": 7})
    assert comparisons[0] >= 20


@pytest.mark.parametrize(
    ("first", "again"),
    [
        (ObjectId("64b7f0c2a1b2c3d4e5f60718"), ObjectId("64b7f0c2a1b2c3d4e5f60718")),
        ("ticket-1", "ticket-1"),
        (1, 1.0),  # one _id to MongoDB, three storage keys to the engine
        (1, Int64(1)),
        ({"a": 1}, {"a": 1.0}),
    ],
)
async def test_a_duplicate_id_is_refused(comparisons: list[int], first: Any, again: Any) -> None:
    collection = await collection_of(5)
    await collection.insert_one({"_id": first})
    with pytest.raises(DuplicateKeyError):
        await collection.insert_one({"_id": again})
    assert await collection.count_documents({}) == 6


def test_applied_once(comparisons: list[int]) -> None:
    applied = memory.MemoryEngine._ensure_unique_indexes
    assert keyed_id_checks()
    assert memory.MemoryEngine._ensure_unique_indexes is applied


@pytest.fixture
def read(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Applies ``keyed_id_lists`` for this test only, and notes how many documents each
    query's candidates held (what the engine then reads and filters)."""
    engine = memory.MemoryEngine
    monkeypatch.setattr(  # put back as it was after the test
        engine, "_candidate_items_for_plan_locked", engine._candidate_items_for_plan_locked
    )
    assert keyed_id_lists()
    sizes: list[int] = []
    keyed = engine._candidate_items_for_plan_locked

    def noted(self: Any, *args: Any, **kwargs: Any) -> Any:
        found = keyed(self, *args, **kwargs)
        sizes.append(len(found))
        return found

    monkeypatch.setattr(engine, "_candidate_items_for_plan_locked", noted)
    yield sizes


IDS = [ObjectId() for _ in range(6)]
DOCUMENTS: list[dict[str, Any]] = [
    *({"_id": oid, "n": n} for n, oid in enumerate(IDS)),
    {"_id": "text-a", "n": 10},
    {"_id": "text-b", "n": 11},
    {"_id": 7, "n": 12},
]
QUERIES: list[dict[str, Any]] = [
    {"_id": {"$in": [IDS[4], IDS[1], ObjectId()]}},  # one not stored; stored order back
    {"_id": {"$in": ["text-b", "text-a", "text-z"]}},
    {"_id": {"$in": [IDS[0], "text-a"]}},
    {"_id": {"$in": [IDS[0], IDS[2], IDS[3]]}, "n": {"$gte": 2}},  # the rest still applies
    {"$and": [{"_id": {"$in": [IDS[5], IDS[0]]}}, {"n": {"$lt": 5}}]},
    {"_id": {"$in": []}},
    {"_id": {"$in": [7.0, "text-a"]}},  # numeric: the engine's own way (7 == 7.0)
    {"_id": {"$in": [Regex("^text-")]}},  # a pattern: the engine's own way
]


async def stocked() -> Any:
    client: Any = AsyncMongoClient(engine=memory.MemoryEngine())
    collection = client.standin.things
    await collection.insert_many([dict(doc) for doc in DOCUMENTS])
    return collection


@pytest.mark.parametrize("query", QUERIES, ids=range(len(QUERIES)))
async def test_listed_ids_find_what_the_engines_own_way_finds(query: dict[str, Any]) -> None:
    unchanged = await (await stocked()).find(query).to_list()
    engine = memory.MemoryEngine
    before = engine._candidate_items_for_plan_locked
    try:
        assert keyed_id_lists()
        keyed = await (await stocked()).find(query).to_list()
    finally:
        engine._candidate_items_for_plan_locked = before  # type: ignore[method-assign]

    assert keyed == unchanged


async def test_listed_ids_are_read_alone_not_with_the_whole_collection(read: list[int]) -> None:
    collection = await collection_of(200)
    wanted = [await collection.find_one({"n": n}) for n in (3, 150)]
    read.clear()

    found = await collection.find({"_id": {"$in": [doc["_id"] for doc in wanted]}}).to_list()

    assert found == wanted
    assert read == [2]


async def test_listed_ids_are_updated_and_deleted_alone_and_exactly(read: list[int]) -> None:
    collection = await collection_of(100)
    chosen = [await collection.find_one({"n": n}) for n in (10, 20)]
    ids = [doc["_id"] for doc in chosen]
    read.clear()

    updated = await collection.update_many({"_id": {"$in": ids}}, {"$set": {"seen": True}})
    deleted = await collection.delete_many({"_id": {"$in": ids[:1]}})

    assert (updated.modified_count, deleted.deleted_count) == (2, 1)
    assert max(read) <= 2
    assert await collection.count_documents({"seen": True}) == 1
    assert await collection.count_documents({}) == 99


def test_listed_ids_applied_once(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = memory.MemoryEngine
    monkeypatch.setattr(  # put back as it was after the test
        engine, "_candidate_items_for_plan_locked", engine._candidate_items_for_plan_locked
    )
    assert keyed_id_lists()
    applied = engine._candidate_items_for_plan_locked
    assert keyed_id_lists()
    assert engine._candidate_items_for_plan_locked is applied

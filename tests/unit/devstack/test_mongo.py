"""The Mongo-wire stand-in's one change to its engine (``keyed_id_checks``): a new
document's ``_id`` is found by its storage key, not compared with every stored one's,
unless it is numeric; a duplicate ``_id`` is refused as before, numeric ones included."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import mongoeco.engines.memory as memory
import pytest
from bson import Int64, ObjectId
from mongoeco import AsyncMongoClient
from mongoeco.errors import DuplicateKeyError

from tools.devstack.mongo import keyed_id_checks

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

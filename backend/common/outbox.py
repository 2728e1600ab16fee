"""Transactional outbox: a state change and its facts are written in one document.

Aggregates keep pending facts in an ``outbox`` array written by the same single-document
operation as the change itself. ``OutboxRelay`` publishes each pending entry to its stream
and only then pulls it from the document: a crash between the two publishes it again
(consumers are idempotent), it never loses it.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Sequence
from typing import Any

import structlog
from beanie import Document
from pydantic import BaseModel
from pymongo import IndexModel, UpdateOne
from pymongo.errors import PyMongoError
from redis.exceptions import RedisError

from backend.common.bus import Envelope, FactBus
from backend.common.facts import Fact

log = structlog.get_logger(__name__)

BATCH = 200  # documents relayed per round trip
# Documents with facts still to relay (every entry has an id), and the partial index that
# holds them alone: the relay's query, on every wake and every poll of every replica,
# reads those few documents, not the collection (without it MongoDB walks every order
# ever made, twice a second per orders process).
PENDING: dict[str, Any] = {"outbox.id": {"$exists": True}}
PENDING_INDEX = IndexModel(
    [("outbox.id", 1)], name="outbox_pending", partialFilterExpression=PENDING
)


class OutboxEntry(BaseModel):
    id: str
    stream: str
    type: str
    data: str

    @classmethod
    def of(cls, fact: Fact) -> OutboxEntry:
        envelope = Envelope.of(fact)
        return cls(id=fact.id, stream=fact.STREAM, type=envelope.type, data=envelope.data)


def outbox_push(*facts: Fact) -> dict[str, Any]:
    """The ``$push`` clause that appends facts to a document's outbox in an update."""
    entries = [OutboxEntry.of(fact).model_dump() for fact in facts]
    return {"outbox": {"$each": entries}}


class OutboxRelay:
    """Moves outbox entries of the given document classes to the fact bus."""

    def __init__(
        self, documents: Sequence[type[Document]], bus: FactBus, *, poll_seconds: float = 0.5
    ) -> None:
        self.documents = list(documents)
        self.bus = bus
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._written: set[type[Document]] = set()  # since the last flush woken by writes

    async def prepare(self) -> None:
        """Create the pending-entries index on each collection (idempotent: at start)."""
        for document in self.documents:
            await document.get_pymongo_collection().create_indexes([PENDING_INDEX])

    def notify(self, document: type[Document]) -> None:
        """Called after a write with facts to ``document``'s collection, so they go out
        without waiting for the poll."""
        self._written.add(document)
        self._wake.set()

    async def run(self) -> None:
        """Flush every collection at start and at least every ``poll_seconds``; when woken
        by writes in between, only the collections written (a tickets process writes
        tickets far more often than events: each wake read both, a find in vain on every
        price change)."""
        loop = asyncio.get_running_loop()
        every_collection_at = -math.inf
        while True:
            self._wake.clear()
            written, self._written = self._written, set()
            documents = None
            if loop.time() - every_collection_at < self.poll_seconds:
                documents = self._of(written)
            else:
                every_collection_at = loop.time()
            try:
                await self.flush(documents)
            except (PyMongoError, RedisError, OSError) as exc:
                self._written |= written  # tried again on the next wake, or the poll
                log.warning("outbox.relay_failed", error=str(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)

    def _of(self, written: set[type[Document]]) -> list[type[Document]]:
        return [d for d in self.documents if any(issubclass(w, d) for w in written)]

    async def flush(self, documents: Sequence[type[Document]] | None = None) -> int:
        """Publish every pending entry of ``documents``' collections (by default all of
        the relay's), oldest document first; returns how many went out.

        A batch of up to ``BATCH`` documents goes out in one Redis round trip, then its
        entries are pulled in one MongoDB write: a flash sale's hundred new orders cost
        two round trips, not two hundred. A failure between the two leaves the whole
        batch to be published again (consumers are idempotent); nothing is lost."""
        published = 0
        for document in self.documents if documents is None else documents:
            collection = document.get_pymongo_collection()
            while True:
                cursor = collection.find(PENDING, {"outbox": 1}).sort("_id", 1).limit(BATCH)
                pending = [
                    (doc["_id"], [OutboxEntry.model_validate(raw) for raw in doc["outbox"]])
                    async for doc in cursor
                ]
                if not pending:
                    break
                await self.bus.publish_envelopes(
                    [
                        (entry.stream, Envelope(type=entry.type, data=entry.data))
                        for _, entries in pending
                        for entry in entries
                    ]
                )
                pulls = [
                    UpdateOne(
                        {"_id": doc_id},
                        {"$pull": {"outbox": {"id": {"$in": [e.id for e in entries]}}}},
                    )
                    for doc_id, entries in pending
                ]
                pulled = await collection.bulk_write(pulls, ordered=False)
                published += sum(len(entries) for _, entries in pending)
                if len(pending) < BATCH or pulled.modified_count == 0:
                    break  # the rest waits for the next wake (never a busy loop)
        return published

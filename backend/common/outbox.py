"""Transactional outbox: a state change and its facts are written in one document.

Aggregates keep pending facts in an ``outbox`` array written by the same single-document
operation as the change itself. ``OutboxRelay`` publishes each pending entry to its stream
and only then pulls it from the document: a crash between the two publishes it again
(consumers are idempotent), it never loses it.

A write hands the relay the document's whole outbox as the write left it (``notify``),
and the relay sends it at once, without reading it back: the facts of a change go out one
MongoDB round trip sooner, and the relay's read of the pending documents, on every write,
is gone. The relay still reads every collection at start and every ``poll_seconds``: what
a writer that died could not send, or a send that failed. A write's outbox is every
pending entry of its document in order, older ones of other writers included, so a
document's facts are first published in their order whichever process sends them; a
process that sends entries another already sent publishes duplicates, never a gap.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Any

import structlog
from beanie import Document
from pydantic import BaseModel
from pymongo import IndexModel, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
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
        # Handed over by this process's writes since the last round: per document class,
        # each document's outbox as its latest write left it.
        self._written: dict[type[Document], dict[Any, list[OutboxEntry]]] = {}
        # What this relay published in its current round. A write made meanwhile hands
        # over its document's outbox as it found it, with those entries still in it (not
        # pulled yet): the next round leaves them out instead of publishing them again.
        self._sent: set[str] = set()

    async def prepare(self) -> None:
        """Create the pending-entries index on each collection (idempotent: at start)."""
        for document in self.documents:
            await document.get_pymongo_collection().create_indexes([PENDING_INDEX])

    def notify(self, document: type[Document], doc_id: Any, outbox: Sequence[OutboxEntry]) -> None:
        """Called after a write with facts to a document of class ``document``: its whole
        outbox as the write left it, which the relay sends at once, without a read."""
        self._written.setdefault(document, {})[doc_id] = list(outbox)
        self._wake.set()

    async def run(self) -> None:
        """Send what writes handed over as soon as they are written; read every
        collection at start and at least every ``poll_seconds``, and at once after a
        round that failed."""
        loop = asyncio.get_running_loop()
        every_collection_at = -math.inf
        while True:
            self._wake.clear()
            written, self._written = self._written, {}
            sent_before, self._sent = self._sent, set()
            try:
                if loop.time() - every_collection_at >= self.poll_seconds:
                    every_collection_at = loop.time()
                    await self.flush()  # what was handed over too, if still pending
                else:
                    await self.send(written, already_sent=sent_before)
            except (PyMongoError, RedisError, OSError) as exc:
                every_collection_at = -math.inf  # the next round reads everything
                log.warning("outbox.relay_failed", error=str(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)

    async def send(
        self,
        written: Mapping[type[Document], Mapping[Any, list[OutboxEntry]]],
        *,
        already_sent: AbstractSet[str] = frozenset(),
    ) -> int:
        """Publish what writes handed over (``notify``), but for entries ``already_sent``
        by this relay; returns how many went out."""
        published = 0
        for document, outboxes in written.items():
            collection = document.get_pymongo_collection()
            pending = [
                (doc_id, kept)
                for doc_id, entries in outboxes.items()
                if (kept := [e for e in entries if e.id not in already_sent])
            ]
            for start in range(0, len(pending), BATCH):
                sent, _ = await self._relay(collection, pending[start : start + BATCH])
                published += sent
        return published

    async def flush(self) -> int:
        """Read and publish every pending entry of the relay's collections, oldest
        document first; returns how many went out."""
        published = 0
        for document in self.documents:
            collection = document.get_pymongo_collection()
            while True:
                cursor = collection.find(PENDING, {"outbox": 1}).sort("_id", 1).limit(BATCH)
                pending = [
                    (doc["_id"], [OutboxEntry.model_validate(raw) for raw in doc["outbox"]])
                    async for doc in cursor
                ]
                if not pending:
                    break
                sent, pulled = await self._relay(collection, pending)
                published += sent
                if len(pending) < BATCH or pulled == 0:
                    break  # the rest waits for the next wake (never a busy loop)
        return published

    async def _relay(
        self, collection: AsyncCollection[Any], pending: Sequence[tuple[Any, list[OutboxEntry]]]
    ) -> tuple[int, int]:
        """A batch of up to ``BATCH`` documents' entries goes out in one Redis round trip,
        then they are pulled in one MongoDB write: a flash sale's hundred new orders cost
        two round trips, not two hundred. A failure between the two leaves the whole batch
        to be published again (consumers are idempotent); nothing is lost. How many
        entries went out, and how many documents were pulled from."""
        await self.bus.publish_envelopes(
            [
                (entry.stream, Envelope(type=entry.type, data=entry.data))
                for _, entries in pending
                for entry in entries
            ]
        )
        self._sent.update(entry.id for _, entries in pending for entry in entries)
        pulls = [
            UpdateOne(
                {"_id": doc_id},
                {"$pull": {"outbox": {"id": {"$in": [e.id for e in entries]}}}},
            )
            for doc_id, entries in pending
        ]
        pulled = await collection.bulk_write(pulls, ordered=False)
        return sum(len(entries) for _, entries in pending), pulled.modified_count

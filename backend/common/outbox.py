"""Transactional outbox: a state change and its facts are written in one document.

Aggregates keep pending facts in an ``outbox`` array written by the same single-document
operation as the change itself. ``OutboxRelay`` publishes each pending entry to its stream
and only then pulls it from the document: a crash between the two publishes it again
(consumers are idempotent), it never loses it.

What this process wrote, the relay is told of (``notify``, after the write): it publishes
those entries and pulls them without reading them back. Every collection is read for
pending entries at start and at least every ``poll_seconds`` (what another process left
behind, or a failed round). One wake used to read every collection of the service: a
round trip per wake for MongoDB (through the partial index), and a scan of the whole
collection for the Mongo-wire stand-in, which has no partial index (28.6 ms for 3,000
documents, scratch measurement), on every price change and every relay round of a sale.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
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


def outbox_push(*entries: OutboxEntry) -> dict[str, Any]:
    """The ``$push`` clause that appends entries to a document's outbox in an update."""
    return {"outbox": {"$each": [entry.model_dump() for entry in entries]}}


@dataclass(frozen=True)
class Written:
    """Entries this process appended to a document's outbox, in a write at ``version``."""

    document: type[Document]
    id: Any
    version: int
    entries: Sequence[OutboxEntry]


class OutboxRelay:
    """Moves outbox entries of the given document classes to the fact bus."""

    def __init__(
        self, documents: Sequence[type[Document]], bus: FactBus, *, poll_seconds: float = 0.5
    ) -> None:
        self.documents = list(documents)
        self.bus = bus
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._written: list[Written] = []  # told by ``notify``, not yet sent

    async def prepare(self) -> None:
        """Create the pending-entries index on each collection (idempotent: at start)."""
        for document in self.documents:
            await document.get_pymongo_collection().create_indexes([PENDING_INDEX])

    def notify(self, written: Written) -> None:
        """Called after a write appended entries to a document's outbox, so they go out
        without waiting for the poll."""
        self._written.append(written)
        self._wake.set()

    async def run(self) -> None:
        """Send what ``notify`` told of on each wake; read every collection for pending
        entries at start, at least every ``poll_seconds``, and after a failed round."""
        loop = asyncio.get_running_loop()
        read_at = -math.inf  # when every collection was last read
        while True:
            self._wake.clear()
            written, self._written = self._written, []
            try:
                if loop.time() - read_at >= self.poll_seconds:
                    read_at = loop.time()
                    # Everything ``written`` holds was committed before this read, so the
                    # read finds it (or another replica's relay sent it already).
                    sent = await self._flush_found()
                    self._written = [w for w in self._written if not _ids(w) <= sent]
                else:
                    await self.send(written)
            except (PyMongoError, RedisError, OSError) as exc:
                read_at = -math.inf  # it is all in the documents: read them next time
                log.warning("outbox.relay_failed", error=str(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)

    async def send(self, written: Sequence[Written]) -> int:
        """Publish the entries of ``written``, then pull them from their documents; a
        document's entries in the order of the writes' versions. Returns how many went out."""
        by_document: dict[tuple[type[Document], Any], list[Written]] = {}
        for each in written:
            by_document.setdefault((each.document, each.id), []).append(each)
        documents = list(by_document.items())
        published = 0
        for start in range(0, len(documents), BATCH):
            batch = [
                (document, doc_id, [e for w in sorted(ws, key=_version) for e in w.entries])
                for (document, doc_id), ws in documents[start : start + BATCH]
            ]
            await self.bus.publish_envelopes(
                [(e.stream, Envelope(type=e.type, data=e.data)) for *_, es in batch for e in es]
            )
            pulls: dict[type[Document], list[UpdateOne]] = {}
            for document, doc_id, entries in batch:
                pulls.setdefault(document, []).append(_pull(doc_id, entries))
            for document, updates in pulls.items():
                await document.get_pymongo_collection().bulk_write(updates, ordered=False)
            published += sum(len(entries) for *_, entries in batch)
        return published

    async def flush(self) -> int:
        """Publish every pending entry of every collection, oldest document first;
        returns how many went out."""
        return len(await self._flush_found())

    async def _flush_found(self) -> set[str]:
        """Read every collection for pending entries and send them, oldest document
        first; the ids of the entries that went out.

        A batch of up to ``BATCH`` documents goes out in one Redis round trip, then its
        entries are pulled in one MongoDB write: a flash sale's hundred new orders cost
        two round trips, not two hundred. A failure between the two leaves the whole
        batch to be published again (consumers are idempotent); nothing is lost."""
        sent: set[str] = set()
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
                await self.bus.publish_envelopes(
                    [
                        (entry.stream, Envelope(type=entry.type, data=entry.data))
                        for _, entries in pending
                        for entry in entries
                    ]
                )
                pulls = [_pull(doc_id, entries) for doc_id, entries in pending]
                pulled = await collection.bulk_write(pulls, ordered=False)
                sent.update(entry.id for _, entries in pending for entry in entries)
                if len(pending) < BATCH or pulled.modified_count == 0:
                    break  # the rest waits for the next round (never a busy loop)
        return sent


def _pull(doc_id: Any, entries: Sequence[OutboxEntry]) -> UpdateOne:
    """The write that removes sent entries from their document's outbox."""
    ids = [entry.id for entry in entries]
    return UpdateOne({"_id": doc_id}, {"$pull": {"outbox": {"id": {"$in": ids}}}})


def _ids(written: Written) -> set[str]:
    return {entry.id for entry in written.entries}


def _version(written: Written) -> int:
    return written.version

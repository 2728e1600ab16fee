"""The one way a service changes what it owns: the change, compared-and-set, and its
domain facts appended to the document's outbox in the same single-document write; then
the outbox relay is handed the document's outbox as the write left it, and sends it at
once (its poll is only the safety net).

Nothing else writes an aggregate or wakes the relay: routes and handlers call use cases,
use cases call ``UnitOfWork``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from beanie import Document
from pydantic import BaseModel, Field
from pymongo import ReturnDocument

from backend.common.batches import InsertBatches
from backend.common.clock import utcnow
from backend.common.facts import Fact
from backend.common.outbox import OutboxEntry, OutboxRelay, outbox_push


class Aggregate(BaseModel):
    """What a document that changes through ``UnitOfWork`` also has: a version and an
    outbox. Mixed into each document (``class Ticket(Document, Aggregate)``), not a
    ``Document`` of its own: Beanie initialises a document's ``Document`` parents as
    collections and turns their fields into query expressions, which a class created
    later would then inherit as field defaults."""

    version: int = 0
    outbox: list[OutboxEntry] = Field(default_factory=list)


type FactsOf[A] = Callable[[A], Sequence[Fact]]


class UnitOfWork:
    def __init__(self, relay: OutboxRelay) -> None:
        self._relay = relay
        self._inserts = InsertBatches()  # the new documents of one moment, together

    async def add[A: Aggregate](self, aggregate: A, *facts: Fact) -> A:
        """Insert a new aggregate with its facts (a duplicate key raises, nothing is sent)."""
        aggregate.outbox = [OutboxEntry.of(fact) for fact in facts]
        document = _document(aggregate)
        await self._inserts.insert(document)
        if facts:
            self._relay.notify(type(document), document.id, aggregate.outbox)
        return aggregate

    async def commit[A: Aggregate](
        self,
        aggregate: A,
        changes: Mapping[str, Any],
        facts: FactsOf[A] | None = None,
        *,
        expect: Mapping[str, Any] | None = None,
    ) -> A | None:
        """Apply ``changes`` if the stored document still matches ``expect`` (by default:
        the version it was read at); bumps the version and ``updated_at`` (where the
        document has one). ``facts`` builds the facts from the new state. Returns the new
        state, or None when the guard no longer matched (nothing was written)."""
        stamped = {**changes, "version": aggregate.version + 1}
        if "updated_at" in type(aggregate).model_fields:
            stamped["updated_at"] = utcnow()
        updated: A = type(aggregate).model_validate({**aggregate.model_dump(), **stamped})
        new_facts = list(facts(updated)) if facts else []
        update: dict[str, Any] = {"$set": stamped}
        if new_facts:
            update["$push"] = outbox_push(*new_facts)
        guard = {"version": aggregate.version} if expect is None else dict(expect)
        document = _document(aggregate)
        stored = await document.get_pymongo_collection().find_one_and_update(
            {"_id": document.id, **guard},
            update,
            projection={"outbox": 1},  # the whole outbox, older entries of others included
            return_document=ReturnDocument.AFTER,
        )
        if stored is None:
            return None
        if new_facts:
            outbox = [OutboxEntry.model_validate(raw) for raw in stored.get("outbox", [])]
            self._relay.notify(type(document), document.id, outbox)
        return updated


def _document(aggregate: Aggregate) -> Document:
    assert isinstance(aggregate, Document), f"{type(aggregate).__name__} is no Document"
    return aggregate

"""Ticket cards: what the orders service knows of a ticket in Redis, for the hot path.

One hash per ticket (``RedisKeys.ticket_card``, in the ticket's Redis Cluster slot):
its ``owner`` and ``status`` at version ``v``, written from the ticket facts that also
keep the MongoDB replica (``handlers.py``), never moved back to an older version. With
it, ``POST /api/orders`` tells a buyer that a ticket is their own, sold or held by
someone else from Redis alone, in the one round trip that also counts their budgets
(``fairness.py``). That first look only ever refuses: an attempt that may win still goes
through the hold and the lock, which decide. A ticket without a card (listed before cards
existed, or Redis lost it) is read from the replica instead.

The card also keeps the ticket's ``terms`` at its version (seller, title, event, price and
breakdown: what an order copies). A buyer who wins the lock prices the order from them
when the card is at least at the ticket's committed version, read in the round trip that
takes the lock (``lock_priced``) — no MongoDB read; otherwise from the replica, as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from backend.common.batches import PipelineBatches, ScriptBatches
from backend.common.keys import RedisKeys
from backend.common.ticket_locks import (
    Holder,
    TicketLocks,
    committed,
    holder_of,
    order_token,
)
from wire.values import Event, Priced, TicketStatus

# KEYS: card. ARGV: version, owner, status, terms. Only a later version is written.
_PUT = """
local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '-1')
if tonumber(ARGV[1]) <= v then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'owner', ARGV[2], 'status', ARGV[3], 'terms', ARGV[4])
return 1
"""
# KEYS: cards. ARGV: the void status. 1 when one of the tickets is void.
_ANY_VOID = """
for _, key in ipairs(KEYS) do
  if redis.call('HGET', key, 'status') == ARGV[1] then return 1 end
end
return 0
"""
CARD_FIELDS = ("owner", "status")  # what a read returns, in ``TicketCard.read``'s order
PRICED_FIELDS = ("v", *CARD_FIELDS, "terms")  # what a winner reads with the lock


@dataclass(frozen=True, slots=True)
class TicketCard:
    owner_id: str
    status: TicketStatus

    @classmethod
    def read(cls, raw: Any) -> TicketCard | None:
        owner, status = raw
        if owner is None or status is None:
            return None
        return cls(str(owner), TicketStatus(str(status)))


class Terms(Priced):
    """What an order of the ticket copies, as of the card's version."""

    seller_id: str
    title: str
    event: Event

    @classmethod
    def of(cls, ticket: object) -> Terms:
        """The terms of a ticket fact or replica (read from its attributes)."""
        return cls.model_validate(ticket, from_attributes=True)


@dataclass(frozen=True, slots=True)
class PricedCard:
    """The ticket as its card tells it at ``version``: enough to record an order."""

    version: int
    card: TicketCard
    terms: Terms


@dataclass(frozen=True, slots=True)
class Locked:
    """What taking a ticket's lock for an order found, in one round trip."""

    won: bool
    holder: Holder | None  # who holds the lock now (the order itself when won)
    committed: int  # the version the last edit committed (-1: never edited)
    priced: PricedCard | None  # None: lost, no card, or one written before cards kept terms


def locked(order_id: str, won: Any, holder: Any, raw_committed: Any, fields: Any) -> Locked:
    """What taking the lock found: whether it was won, its holder now, the committed
    version, and the card's ``PRICED_FIELDS``."""
    version, owner, status, terms = fields
    # Won, or won already: the lock names this order (its SET sent again after its
    # reply was lost finds it taken: redis-py's cluster client sends a command again
    # on a broken connection, up to 3 times; the single-server client here does not).
    won = bool(won) or holder == order_token(order_id)
    card = TicketCard.read((owner, status))
    # The terms are read by winners alone: most of a sale's buyers lose before.
    priced = (
        None
        if not won or version is None or card is None or terms is None
        else PricedCard(int(version), card, Terms.model_validate_json(terms))
    )
    return Locked(won, holder_of(holder), committed(raw_committed), priced)


class TicketCards:
    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self.keys = keys
        self._redis = redis
        self._put = redis.register_script(_PUT)
        # Every winner of a sale at once: their locks and void checks go out together.
        self._locks = PipelineBatches(redis)
        self._any_void = ScriptBatches(redis, _ANY_VOID)

    async def put(
        self,
        ticket_id: str,
        listing_id: str | None,
        *,
        version: int,
        owner_id: str,
        status: str,
        terms: Terms,
    ) -> None:
        key = self.keys.ticket_card(ticket_id, listing_id)
        await self._put(keys=[key], args=[version, owner_id, status, terms.model_dump_json()])

    async def lock_priced(
        self, locks: TicketLocks, ticket_id: str, order_id: str, deadline_ms: int
    ) -> Locked:
        """Take the ticket's lock for an order (``TicketLocks.queue_lock_order``) and read,
        behind it in the same round trip (every key in the ticket's slot), the version
        the last edit committed and the card with its terms. Once the lock is won no edit
        can commit, so what is read is what the order is priced at."""

        def queue(pipe: Pipeline) -> None:
            locks.queue_lock_order(pipe, ticket_id, order_id, deadline_ms)
            pipe.get(self.keys.ticket_version(ticket_id))
            pipe.hmget(self.keys.ticket_card(ticket_id), list(PRICED_FIELDS))

        won, holder, raw_committed, fields = await self._locks(queue)
        return locked(order_id, won, holder, raw_committed, fields)

    async def read(self, ticket_id: str) -> Any:
        """The card's raw fields (``TicketCard.read`` makes the card)."""
        reply: Any = self._redis.hmget(self.keys.ticket_card(ticket_id), list(CARD_FIELDS))
        return await reply

    async def any_void(self, ticket_ids: tuple[str, ...], listing_id: str | None) -> bool:
        """Whether one of these tickets is void (its event was cancelled); a listing's
        cards share its slot."""
        keys = [self.keys.ticket_card(ticket_id, listing_id) for ticket_id in ticket_ids]
        return bool(await self._any_void(keys=keys, args=[TicketStatus.VOID.value]))

"""The purchase lock of a ticket: one Redis key whose value says who holds it.

==========================  =====================================================
value                       meaning
==========================  =====================================================
``order:<orderId>``         a buyer's order holds it until the key's TTL (the deadline)
``paying:<orderId>``        the payment of that order is running (longer TTL)
``sold:<orderId>``          sold by that order: no TTL, nobody can lock it again
``edit:<token>``            the seller's edit is committing (a few seconds)
==========================  =====================================================

The key's own TTL unlocks an unpaid ticket even when every worker is down. Every change
other than the first ``SET NX PX`` is a compare-and-set script acting only for the holder.

The seats of a listing sold together (``Seats``: k tickets, one order) are held, paid, sold
and released all at once: every change below acts on all k keys in one script or on none
(their keys share the listing's hash tag, so one script may touch them all), and the
holder of one is the holder of all.

A buyer's order and paying holds are also counted per buyer (``holds``, the fair-holds cap
and cooldown of ``backend/common/holds.py``): those keys live in the buyer's Redis Cluster
slot, so the lock of an order is taken at the deadline its reservation returned
(``queue_lock_order``, ``PXAT``) and a payment's hold likewise (``start_paying``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, Field
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from backend.common.holds import Holds
from backend.common.keys import RedisKeys
from backend.common.locks import Locks

EDIT_TTL_MS = 10_000

# Release an edit's hold and stamp the version it committed, in one step.
_END_EDIT = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
local current = tonumber(redis.call('GET', KEYS[2]) or '-1')
if tonumber(ARGV[2]) > current then redis.call('SET', KEYS[2], ARGV[2]) end
return 1
"""

# Hand an order's lock to its payment (or extend a retried payment's), until a deadline.
_PAY_UNTIL = """
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] or v == ARGV[2] then
  redis.call('SET', KEYS[1], ARGV[2], 'PXAT', ARGV[3])
  return 1
end
return 0
"""

# Make a sale permanent: paying:<id> (or still order:<id>) becomes sold:<id> with no TTL.
_MARK_SOLD = """
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] or v == ARGV[2] or v == ARGV[3] or v == false then
  redis.call('SET', KEYS[1], ARGV[3])
  return 1
end
return 0
"""


# The all-or-none changes of several seats' keys (one listing's). KEYS: the seats' locks.
# Set them all to ARGV[1] (with PXAT ARGV[2] > 0, PX -ARGV[2] < 0, or no TTL when 0) when
# each holds one of ARGV[3..] ('' standing for none).
_MOVE_ALL = """
for i = 1, #KEYS do
  local v = redis.call('GET', KEYS[i]) or ''
  local ok = false
  for j = 3, #ARGV do if v == ARGV[j] then ok = true end end
  if not ok then return 0 end
end
local ttl = tonumber(ARGV[2])
for i = 1, #KEYS do
  if ttl > 0 then redis.call('SET', KEYS[i], ARGV[1], 'PXAT', ttl)
  elseif ttl < 0 then redis.call('SET', KEYS[i], ARGV[1], 'PX', -ttl)
  else redis.call('SET', KEYS[i], ARGV[1]) end
end
return 1
"""

# Release those that ARGV[1] holds (all of them, as they move together); how many.
_RELEASE_ALL = """
local released = 0
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[1] then
    redis.call('DEL', KEYS[i])
    released = released + 1
  end
end
return released
"""


# Hold ``quantity`` of a listing's seats for an order, keeping its split rule, in one step.
# KEYS: the locks of its seats still for sale, in seat order. ARGV: quantity, rule, token,
# deadline (epoch ms), how many seats the listing has in all. Takes the first run of
# adjacent free seats long enough, else the first free ones. Returns {1, index…} (1-based
# into KEYS), or a refusal: {0, free} too few free, {-1, free} it would leave a single
# free seat of a ``pairs`` listing, {-2, free} an ``all`` listing sells whole. Seats that
# already name this order's token are the ones it took (the call sent again after its
# reply was lost, as redis-py's cluster client does on a broken connection): returned.
_HOLD_SEATS = """
local k, rule = tonumber(ARGV[1]), ARGV[2]
local free, mine = {}, {1}
for i = 1, #KEYS do
  local holder = redis.call('GET', KEYS[i])
  if not holder then free[#free + 1] = i
  elseif holder == ARGV[3] then mine[#mine + 1] = i end
end
if #mine > 1 then return mine end
if rule == 'all' and (k ~= tonumber(ARGV[5]) or #free ~= k) then return {-2, #free} end
if #free < k then return {0, #free} end
if rule == 'pairs' and #free - k == 1 then return {-1, #free} end
local chosen = nil
for start = 1, #free - k + 1 do
  if free[start + k - 1] - free[start] == k - 1 then
    chosen = {}
    for j = start, start + k - 1 do chosen[#chosen + 1] = free[j] end
    break
  end
end
if chosen == nil then
  chosen = {}
  for j = 1, k do chosen[j] = free[j] end
end
local result = {1}
for _, i in ipairs(chosen) do
  redis.call('SET', KEYS[i], ARGV[3], 'PXAT', ARGV[4])
  result[#result + 1] = i
end
return result
"""


class SeatRefusal(StrEnum):
    TOO_FEW = "too_few"
    SINGLE_LEFT = "single_left"
    WHOLE_ONLY = "whole_only"


@dataclass(frozen=True, slots=True)
class SeatsRefused:
    why: SeatRefusal
    free: int  # seats free when asked


@dataclass(frozen=True, slots=True)
class Seats:
    """What one order holds: one ticket, or k seats of one listing."""

    ticket_ids: tuple[str, ...]
    listing_id: str | None = None

    @classmethod
    def of(
        cls, ticket_id: str, ticket_ids: Sequence[str] = (), listing_id: str | None = None
    ) -> Seats:
        """From an order's fields (``ticket_ids`` empty: an order of one ticket)."""
        return cls(tuple(ticket_ids) or (ticket_id,), listing_id)

    @property
    def count(self) -> int:
        return len(self.ticket_ids)

    @property
    def subject(self) -> str:
        """What the buyer's hold is counted on: the ticket, or the listing."""
        return self.listing_id or self.ticket_ids[0]


type Held = str | Seats  # a ticket id (its own lock), or seats of a listing


class SeatsHeld(BaseModel):
    """Mixed into what names an order's tickets (its documents, its facts): ``ticket_id``
    is its first (or only) ticket; ``ticket_ids`` all its seats when it holds several of
    a listing's (empty for one ticket, as orders made before seats were sold together)."""

    ticket_id: str
    ticket_ids: list[str] = Field(default_factory=list)
    listing_id: str | None = None

    @property
    def seats(self) -> Seats:
        return Seats.of(self.ticket_id, self.ticket_ids, self.listing_id)


class HolderKind(StrEnum):
    ORDER = "order"
    PAYING = "paying"
    SOLD = "sold"
    EDIT = "edit"


@dataclass(frozen=True, slots=True)
class Holder:
    kind: HolderKind
    ref: str

    @classmethod
    def parse(cls, value: str) -> Holder:
        kind, _, ref = value.partition(":")
        return cls(HolderKind(kind), ref)

    def token(self) -> str:
        return f"{self.kind.value}:{self.ref}"


def order_token(order_id: str) -> str:
    return Holder(HolderKind.ORDER, order_id).token()


def paying_token(order_id: str) -> str:
    return Holder(HolderKind.PAYING, order_id).token()


def sold_token(order_id: str) -> str:
    return Holder(HolderKind.SOLD, order_id).token()


def committed(raw: object) -> int:
    """A ticket's committed version as ``RedisKeys.ticket_version`` holds it (-1: never
    edited)."""
    return -1 if raw is None else int(str(raw))


def holder_of(raw: object) -> Holder | None:
    """The holder a lock's value names (None: nobody holds it)."""
    return None if raw is None else Holder.parse(str(raw))


class TicketLocks:
    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self.redis = redis
        self.keys = keys
        self.locks = Locks(redis)
        self.holds = Holds(redis, keys)
        self._pay_until = redis.register_script(_PAY_UNTIL)
        self._end_edit = redis.register_script(_END_EDIT)
        self._mark_sold = redis.register_script(_MARK_SOLD)
        self._move_all = redis.register_script(_MOVE_ALL)
        self._release_all = redis.register_script(_RELEASE_ALL)
        self._hold_seats = redis.register_script(_HOLD_SEATS)

    def _key(self, ticket_id: str, listing_id: str | None = None) -> str:
        return self.keys.ticket_lock(ticket_id, listing_id)

    def _seat_keys(self, held: Held) -> list[str] | None:
        """The keys of several seats, or None for one ticket (its single-key commands)."""
        if isinstance(held, str) or (held.count == 1 and held.listing_id is None):
            return None
        return [self._key(t, held.listing_id) for t in held.ticket_ids]

    def _one(self, held: Held) -> str:
        return self._key(held) if isinstance(held, str) else self._key(held.ticket_ids[0])

    async def holder(self, ticket_id: str, listing_id: str | None = None) -> Holder | None:
        return holder_of(await self.locks.owner(self._key(ticket_id, listing_id)))

    async def remaining_ms(self, ticket_id: str) -> int | None:
        return await self.locks.remaining_ms(self._key(ticket_id))

    # -- buyers ---------------------------------------------------------------------
    async def lock_for_order(self, ticket_id: str, order_id: str, ttl_ms: int) -> bool:
        return await self.locks.acquire(self._key(ticket_id), order_token(order_id), ttl_ms)

    def queue_lock_order(
        self, pipe: Pipeline, ticket_id: str, order_id: str, deadline_ms: int
    ) -> None:
        """``SET NX PXAT``: the order's lock ends exactly at the deadline its reservation
        counted (a listing's seats are locked by ``hold_seats``). Queued on a pipeline that
        reads more of the ticket's slot after it (``TicketCards.lock_priced``): two
        replies, whether the lock was won and who holds it now (``holder_of``)."""
        key = self._key(ticket_id)
        pipe.set(key, order_token(order_id), nx=True, pxat=deadline_ms)
        pipe.get(key)

    async def hold_seats(
        self,
        *,
        listing_id: str,
        for_sale: Sequence[str],
        quantity: int,
        rule: str,
        total: int,
        order_id: str,
        deadline_ms: int,
    ) -> Seats | SeatsRefused:
        """Lock ``quantity`` of the listing's seats ``for_sale`` (in seat order) for an
        order, atomically: all of them or none, never leaving what ``rule`` forbids
        (``wire.values.SplitRule``; ``total``: the listing's seats in all)."""
        keys = [self._key(t, listing_id) for t in for_sale]
        args: list[str | int] = [quantity, rule, order_token(order_id), deadline_ms, total]
        code, *rest = await self._hold_seats(keys=keys, args=args)
        if int(code) == 1:
            return Seats(tuple(for_sale[int(i) - 1] for i in rest), listing_id)
        why = {0: SeatRefusal.TOO_FEW, -1: SeatRefusal.SINGLE_LEFT}.get(
            int(code), SeatRefusal.WHOLE_ONLY
        )
        return SeatsRefused(why, int(rest[0]))

    async def release_order(self, held: Held, order_id: str) -> bool:
        """Unlock at once if the unpaid order still holds the lock (cancel, expiry).

        Never releases a paying hold: a payment in progress must finish or fail first.
        """
        return await self._release(held, order_token(order_id))

    async def release_paying(self, held: Held, order_id: str) -> bool:
        """Unlock after a declined payment."""
        return await self._release(held, paying_token(order_id))

    async def _release(self, held: Held, token: str) -> bool:
        keys = self._seat_keys(held)
        if keys is None:
            return await self.locks.release(self._one(held), token)
        return bool(await self._release_all(keys=keys, args=[token]))

    async def start_paying(
        self, held: Held, order_id: str, ttl_ms: int, *, buyer_id: str | None = None
    ) -> bool:
        """Convert the order's lock into a paying hold (or extend a retried payment's);
        False when the order lost it. The buyer's hold is extended first, so that it is
        never counted for less time than the lock is held."""
        if buyer_id is None:  # a hold nobody counts (tests that lock by hand)
            seconds, micros = await self.redis.time()
            deadline = seconds * 1000 + micros // 1000 + ttl_ms
        else:
            seats = Seats.of(held) if isinstance(held, str) else held
            extended = await self.holds.extend(
                buyer_id=buyer_id,
                ticket_id=seats.subject,
                order_id=order_id,
                ttl_ms=ttl_ms,
                seats=seats.count,
            )
            if extended is None:
                return False  # the order's deadline has passed
            deadline = extended
        ordered, paying = order_token(order_id), paying_token(order_id)
        keys = self._seat_keys(held)
        if keys is None:
            args = [ordered, paying, deadline]
            return bool(await self._pay_until(keys=[self._one(held)], args=args))
        return bool(await self._move_all(keys=keys, args=[paying, deadline, ordered, paying]))

    async def resume_order(self, held: Held, order_id: str, ttl_ms: int) -> bool:
        """Give the lock back from a payment that never started to its order."""
        ordered, paying = order_token(order_id), paying_token(order_id)
        keys = self._seat_keys(held)
        if keys is None:
            return await self.locks.hand_over(self._one(held), paying, ordered, ttl_ms)
        return bool(await self._move_all(keys=keys, args=[ordered, -ttl_ms, paying]))

    async def mark_sold(self, held: Held, order_id: str) -> bool:
        paying, ordered, sold = paying_token(order_id), order_token(order_id), sold_token(order_id)
        keys = self._seat_keys(held)
        if keys is None:
            return bool(await self._mark_sold(keys=[self._one(held)], args=[paying, ordered, sold]))
        return bool(await self._move_all(keys=keys, args=[sold, 0, paying, ordered, sold, ""]))

    async def clear_sold(
        self, ticket_id: str, order_id: str, listing_id: str | None = None
    ) -> bool:
        """The new owner lists a bought ticket again: it may be locked anew."""
        return await self.locks.release(self._key(ticket_id, listing_id), sold_token(order_id))

    # -- sellers --------------------------------------------------------------------
    async def begin_edit(self, ticket_id: str, listing_id: str | None = None) -> str | None:
        """Take the lock for an edit; None when a buyer (or another edit) holds it."""
        token = Holder(HolderKind.EDIT, uuid.uuid4().hex).token()
        ok = await self.locks.acquire(self._key(ticket_id, listing_id), token, EDIT_TTL_MS)
        return token if ok else None

    async def end_edit(
        self, ticket_id: str, token: str, committed_version: int, listing_id: str | None = None
    ) -> None:
        keys = [self._key(ticket_id, listing_id), self.keys.ticket_version(ticket_id, listing_id)]
        await self._end_edit(keys=keys, args=[token, committed_version])

    async def committed_version(self, ticket_id: str, listing_id: str | None = None) -> int:
        return committed(await self.redis.get(self.keys.ticket_version(ticket_id, listing_id)))

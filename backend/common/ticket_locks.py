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

A buyer's order and paying holds are also counted per buyer (``holds``, the fair-holds cap
and cooldown of ``backend/common/holds.py``): those keys live in the buyer's Redis Cluster
slot, so the lock of an order is taken at the deadline its reservation returned
(``lock_order_until``, ``PXAT``) and a payment's hold likewise (``start_paying``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from redis.asyncio import Redis

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


class TicketLocks:
    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self.redis = redis
        self.keys = keys
        self.locks = Locks(redis)
        self.holds = Holds(redis, keys)
        self._pay_until = redis.register_script(_PAY_UNTIL)
        self._end_edit = redis.register_script(_END_EDIT)
        self._mark_sold = redis.register_script(_MARK_SOLD)

    def _key(self, ticket_id: str) -> str:
        return self.keys.ticket_lock(ticket_id)

    async def holder(self, ticket_id: str) -> Holder | None:
        value = await self.locks.owner(self._key(ticket_id))
        return None if value is None else Holder.parse(value)

    async def remaining_ms(self, ticket_id: str) -> int | None:
        return await self.locks.remaining_ms(self._key(ticket_id))

    # -- buyers ---------------------------------------------------------------------
    async def lock_for_order(self, ticket_id: str, order_id: str, ttl_ms: int) -> bool:
        return await self.locks.acquire(self._key(ticket_id), order_token(order_id), ttl_ms)

    async def lock_order_until(self, ticket_id: str, order_id: str, deadline_ms: int) -> bool:
        """``SET NX PXAT``: the lock ends exactly at the deadline its reservation counted."""
        key, token = self._key(ticket_id), order_token(order_id)
        return bool(await self.redis.set(key, token, nx=True, pxat=deadline_ms))

    async def release_order(self, ticket_id: str, order_id: str) -> bool:
        """Unlock at once if the unpaid order still holds the lock (cancel, expiry).

        Never releases a paying hold: a payment in progress must finish or fail first.
        """
        return await self.locks.release(self._key(ticket_id), order_token(order_id))

    async def release_paying(self, ticket_id: str, order_id: str) -> bool:
        """Unlock after a declined payment."""
        return await self.locks.release(self._key(ticket_id), paying_token(order_id))

    async def start_paying(
        self, ticket_id: str, order_id: str, ttl_ms: int, *, buyer_id: str | None = None
    ) -> bool:
        """Convert the order's lock into a paying hold (or extend a retried payment's);
        False when the order lost it. The buyer's hold is extended first, so that it is
        never counted for less time than the lock is held."""
        if buyer_id is None:  # a hold nobody counts (tests that lock by hand)
            seconds, micros = await self.redis.time()
            deadline = seconds * 1000 + micros // 1000 + ttl_ms
        else:
            extended = await self.holds.extend(
                buyer_id=buyer_id, ticket_id=ticket_id, order_id=order_id, ttl_ms=ttl_ms
            )
            if extended is None:
                return False  # the order's deadline has passed
            deadline = extended
        args = [order_token(order_id), paying_token(order_id), deadline]
        return bool(await self._pay_until(keys=[self._key(ticket_id)], args=args))

    async def resume_order(self, ticket_id: str, order_id: str, ttl_ms: int) -> bool:
        """Give the lock back from a payment that never started to its order."""
        key = self._key(ticket_id)
        return await self.locks.hand_over(
            key, paying_token(order_id), order_token(order_id), ttl_ms
        )

    async def mark_sold(self, ticket_id: str, order_id: str) -> bool:
        args = [paying_token(order_id), order_token(order_id), sold_token(order_id)]
        return bool(await self._mark_sold(keys=[self._key(ticket_id)], args=args))

    async def clear_sold(self, ticket_id: str, order_id: str) -> bool:
        """The new owner lists a bought ticket again: it may be locked anew."""
        return await self.locks.release(self._key(ticket_id), sold_token(order_id))

    # -- sellers --------------------------------------------------------------------
    async def begin_edit(self, ticket_id: str) -> str | None:
        """Take the lock for an edit; None when a buyer (or another edit) holds it."""
        token = Holder(HolderKind.EDIT, uuid.uuid4().hex).token()
        ok = await self.locks.acquire(self._key(ticket_id), token, EDIT_TTL_MS)
        return token if ok else None

    async def end_edit(self, ticket_id: str, token: str, committed_version: int) -> None:
        keys = [self._key(ticket_id), self.keys.ticket_version(ticket_id)]
        await self._end_edit(keys=keys, args=[token, committed_version])

    async def committed_version(self, ticket_id: str) -> int:
        value = await self.redis.get(self.keys.ticket_version(ticket_id))
        return -1 if value is None else int(value)

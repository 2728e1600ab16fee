"""Fair holds: how many unpaid orders a buyer holds at once, and the re-hold cooldown.

Two Redis keys per buyer, sharing the hash tag ``{u:<buyerId>}`` so that every script here
touches a single Redis Cluster slot:

- ``holds:{u:<id>}:open`` — a sorted set, one member ``<ticketId>:<orderId>`` per live hold,
  scored by the hold's deadline (epoch ms, Redis' clock);
- ``holds:{u:<id>}:ended`` — a sorted set, ``<ticketId>`` scored by when the buyer's last hold
  on it ended without a sale (cancelled, expired, declined): the re-hold cooldown.

A ticket's purchase lock (``backend/common/ticket_locks.py``) lives in another slot, so one
script cannot take both. Buying is therefore two steps with compensation:

1. ``reserve`` (one script on the buyer's keys): drop holds whose deadline has passed (their
   lock's TTL ended them even if every worker was down; they count as ended for the
   cooldown, at their deadline), refuse during the ticket's cooldown, refuse at the cap,
   else add the member with score ``deadline + SKEW_MS`` and return ``deadline``.
2. Take the ticket's lock with ``SET NX PXAT deadline``: the lock ends exactly when the
   reservation says, however long the gap between the two steps.
3. If the lock is not won (or the order cannot be recorded), ``cancel`` removes the member.

On a single Redis server, where one script may touch both, the orders API's first look
does steps 1 and 2 in one script (``RESERVE_FUNCTION``, ``backend/orders/fairness.py``):
the lock is taken only when the reservation was granted, and always won (the script found
it free), so there is nothing to give back but a failed order's.

Why the cap can never be exceeded: members are only added by ``reserve``, atomically
against the count of live members. Every live order or paying lock of the buyer has its
member, with a score no earlier than the lock's deadline: the member is added before the
lock is taken; a payment first moves the member's deadline later (``extend``, refused once
the hold's deadline has passed) and then hands the lock over with ``PXAT`` of that same
deadline; a lock given back to its order (a payment that never reached Stripe) only gets
shorter; and the member is removed only after the lock was released or became the
permanent sold marker (``end``). ``SKEW_MS`` covers the clocks of two cluster nodes. So at
any moment: live locks of a buyer <= live members <= cap. The compensation in step 3 can
refuse a parallel request for a moment (conservative), never admit one too many.

Why it is crash-safe: a crash between any two steps leaves a member whose score is its
deadline (+ ``SKEW_MS``); the next ``reserve`` drops it then, right after the lock's own
TTL freed the ticket, with no worker needed. Both keys expire by themselves,
``ENDED_RETENTION_MS`` after their last deadline or ending (the longest cooldown allowed).
Orders made before fair holds existed have no member: they are not counted, and a
payment of one is not refused for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from backend.common.batches import PipelineBatches, ScriptBatches
from backend.common.keys import RedisKeys

# Two cluster nodes' clocks may differ a little: a member outlives its lock by this much.
SKEW_MS = 1_000
# How long an ended hold is remembered: the longest cooldown the settings allow.
ENDED_RETENTION_MS = 3_600_000

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# The open set outlives its last deadline by the retention: a dead hold must still be
# found by the next reserve, to start its cooldown.
_EXPIRE_OPEN = """
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if #last > 0 then redis.call('PEXPIREAT', KEYS[1], last[2] + RETENTION) end
"""

# reserve(open, ended, ticket, hold ms, cap, cooldown ms, retention ms, skew ms, members):
# {0, deadline, held} or {1 cooldown | 2 cap, wait ms, held}. A Lua function, so that the
# orders API's first look can reserve in the script that found the ticket free
# (``backend/orders/fairness.py``, on a single Redis server). The same hold reserved again
# (a call sent again after its reply was lost, as redis-py's cluster client does on a
# broken connection) is told its deadline, not counted twice nor refused at the cap it now
# fills.
RESERVE_FUNCTION = (
    """
local function reserve(open, ended, ticket, hold_ms, cap, cooldown, retention, skew, members)
"""
    + _NOW
    + """
  local dead = redis.call('ZRANGEBYSCORE', open, '-inf', now, 'WITHSCORES')
  for i = 1, #dead, 2 do
    redis.call('ZADD', ended, 'GT', dead[i + 1] - skew, string.match(dead[i], '^[^:]+'))
  end
  if #dead > 0 then
    redis.call('ZREMRANGEBYSCORE', open, '-inf', now)
    redis.call('PEXPIRE', ended, retention)
  end
  redis.call('ZREMRANGEBYSCORE', ended, '-inf', now - retention)
  local held = redis.call('ZCARD', open)
  local again = redis.call('ZSCORE', open, members[1])
  if again then return {0, tonumber(again) - skew, held} end
  local ended_at = redis.call('ZSCORE', ended, ticket)
  if ended_at then
    local wait = tonumber(ended_at) + cooldown - now
    if wait > 0 then return {1, wait, held} end
  end
  if held + #members > cap then
    local first = redis.call('ZRANGE', open, 0, 0, 'WITHSCORES')
    local wait = 0
    if #first > 0 then wait = tonumber(first[2]) - skew - now end
    return {2, wait, held}
  end
  local deadline = now + hold_ms
  for i = 1, #members do redis.call('ZADD', open, deadline + skew, members[i]) end
  local last = redis.call('ZRANGE', open, -1, -1, 'WITHSCORES')
  redis.call('PEXPIREAT', open, last[2] + retention)
  return {0, deadline, held + #members}
end
"""
)
# KEYS: open, ended. ARGV: (unused), ticket, hold ms, cap, cooldown ms, retention ms, skew ms,
# then the hold's members (one per seat).
_RESERVE = (
    RESERVE_FUNCTION
    + """
local n = tonumber
return reserve(KEYS[1], KEYS[2], ARGV[2], n(ARGV[3]), n(ARGV[4]), n(ARGV[5]), n(ARGV[6]),
  n(ARGV[7]), {unpack(ARGV, 8)})
"""
)

# KEYS: open. ARGV: (unused), hold ms, skew ms, retention ms, then the hold's members. A
# live hold's deadline moves later (a payment holds the seats longer); a dead one (its
# lock's deadline has passed) is not brought back. The members of one hold always share
# a score, so the first tells. Returns {1 extended | 0 no such hold | -1 dead, the new
# deadline}.
_EXTEND = (
    _NOW
    + """
local RETENTION = tonumber(ARGV[4])
local deadline = now + tonumber(ARGV[2])
local score = redis.call('ZSCORE', KEYS[1], ARGV[5])
if not score then return {0, deadline} end
if tonumber(score) - tonumber(ARGV[3]) <= now then return {-1, deadline} end
for i = 5, #ARGV do redis.call('ZADD', KEYS[1], 'GT', deadline + ARGV[3], ARGV[i]) end
"""
    + _EXPIRE_OPEN
    + """
return {1, deadline}
"""
)

# KEYS: open, ended. ARGV: (unused), ticket, sold 0/1, retention ms, then the hold's
# members. Idempotent: only the call that removes them starts the cooldown.
_END = (
    _NOW
    + """
local removed = 0
for i = 5, #ARGV do removed = removed + redis.call('ZREM', KEYS[1], ARGV[i]) end
if removed > 0 then removed = 1 end
if removed == 1 and ARGV[3] == '0' then
  redis.call('ZADD', KEYS[2], 'GT', now, ARGV[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
end
return removed
"""
)


class Refusal(StrEnum):
    COOLDOWN = "cooldown"
    CAP = "cap"


@dataclass(frozen=True, slots=True)
class Reservation:
    """The outcome of ``Holds.reserve``: a deadline, or why not and how long to wait."""

    refusal: Refusal | None
    deadline_ms: int  # when granted: the hold's deadline (epoch ms, Redis' clock)
    wait_ms: int  # when refused: until the cooldown ends / the soonest hold runs out
    held: int  # the buyer's live holds, this one included when granted


@dataclass(frozen=True, slots=True)
class HoldPolicy:
    cap: int
    cooldown_ms: int


def _members(ticket_id: str, order_id: str, seats: int) -> list[str]:
    """One member per seat held: ``<ticket>:<order>`` for one ticket (as before seats
    were sold together), ``<listing>:<order>:<i>`` for the seats of a listing."""
    if seats == 1:
        return [f"{ticket_id}:{order_id}"]
    return [f"{ticket_id}:{order_id}:{i}" for i in range(seats)]


def reserve_args(
    ticket_id: str, order_id: str, ttl_ms: int, policy: HoldPolicy, seats: int = 1
) -> list[str | int]:
    """``RESERVE_FUNCTION``'s arguments after its keys: ticket, hold ms, cap, cooldown ms,
    retention ms, skew ms, then the members."""
    return [
        ticket_id,
        ttl_ms,
        policy.cap,
        policy.cooldown_ms,
        ENDED_RETENTION_MS,
        SKEW_MS,
        *_members(ticket_id, order_id, seats),
    ]


def reservation(raw: Any) -> Reservation:
    """``RESERVE_FUNCTION``'s reply read."""
    code, value, held = (int(v) for v in raw)
    if code == 0:
        return Reservation(None, value, 0, held)
    refusal = Refusal.COOLDOWN if code == 1 else Refusal.CAP
    return Reservation(refusal, 0, max(0, value), held)


class Holds:
    """A buyer's open holds (the cap) and recently ended ones (the cooldown)."""

    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self.redis = redis
        self.keys = keys
        # Every buyer of a sale at once: the reservations, and those given back by the
        # many who then lose the lock.
        self._reserve = ScriptBatches(redis, _RESERVE)
        self._cancels = PipelineBatches(redis)
        self._extend = redis.register_script(_EXTEND)
        self._end = redis.register_script(_END)

    def keys_of(self, buyer_id: str) -> list[str]:
        """The buyer's two keys: open, ended (``RESERVE_FUNCTION``'s first two)."""
        return [self.keys.holds_open(buyer_id), self.keys.holds_ended(buyer_id)]

    async def reserve(
        self,
        *,
        buyer_id: str,
        ticket_id: str,
        order_id: str,
        ttl_ms: int,
        policy: HoldPolicy,
        seats: int = 1,
    ) -> Reservation:
        """Count a new hold of ``seats`` against the buyer's cap (which counts seats),
        unless refused (see the module). ``ticket_id``: the ticket, or the listing whose
        seats are held (the cooldown is on it)."""
        args = ["", *reserve_args(ticket_id, order_id, ttl_ms, policy, seats)]
        return reservation(await self._reserve(keys=self.keys_of(buyer_id), args=args))

    async def cancel(self, *, buyer_id: str, ticket_id: str, order_id: str, seats: int = 1) -> None:
        """Give back a reservation whose lock was never won: no cooldown."""
        key, members = self.keys.holds_open(buyer_id), _members(ticket_id, order_id, seats)

        def queue(pipe: Pipeline) -> None:
            pipe.zrem(key, *members)

        await self._cancels(queue)

    async def extend(
        self, *, buyer_id: str, ticket_id: str, order_id: str, ttl_ms: int, seats: int = 1
    ) -> int | None:
        """Keep the hold counted until ``ttl_ms`` from now; returns that deadline (epoch
        ms), to which the caller then sets the lock, or None when the hold's deadline has
        passed (its lock is gone: extending it would count a slot nothing holds). A hold
        never counted (an order from before fair holds) is not counted now either."""
        members = _members(ticket_id, order_id, seats)
        code, deadline = await self._extend(
            keys=[self.keys.holds_open(buyer_id)],
            args=["", ttl_ms, SKEW_MS, ENDED_RETENTION_MS, *members],
        )
        return None if int(code) < 0 else int(deadline)

    async def end(
        self, *, buyer_id: str, ticket_id: str, order_id: str, sold: bool, seats: int = 1
    ) -> bool:
        """The hold is over (call after its lock was released or sold). Without a sale,
        the buyer's cooldown on the ticket starts. False when it had already ended."""
        args: list[str | int] = [
            "",
            ticket_id,
            int(sold),
            ENDED_RETENTION_MS,
            *_members(ticket_id, order_id, seats),
        ]
        return bool(await self._end(keys=self.keys_of(buyer_id), args=args))

    async def open_count(self, buyer_id: str) -> int:
        """Live holds of the buyer (dead members are dropped at the next reserve)."""
        key = self.keys.holds_open(buyer_id)
        now_s, now_us = await self.redis.time()
        return int(await self.redis.zcount(key, f"({now_s * 1000 + now_us // 1000}", "+inf"))

"""Rate limits: how many requests a user or an address may make, counted in Redis.

A moving window, counted and checked in one Lua function (``HIT_FUNCTION``) per quota: each request
is a member of a sorted set scored by Redis' clock; members older than the window are
dropped, and a request is admitted while fewer than the limit remain. Parallel requests
cannot all slip under the limit, and the answer says exactly what is left. Every service
shares the counters through Redis, under the project's namespace (``RedisKeys.rate_limit``,
one key per quota and client, expiring with its window).

Written here rather than with the ``limits`` library (used before): its moving window
takes two round trips per quota (count, then read what is left) and cannot be part of
another script, while ``POST /api/orders`` answers a lost race in one script with its
quotas counted in it (``backend/orders/fairness.py``). A counted request can be given back
(``RateLimiter.refund``): the orders API does not charge a buyer for a ticket not for sale.

A refusal is 429 in the common error body, with ``Retry-After``; answers that spent a
budget tell bots what is left with the ``RateLimit-*`` headers (IETF draft
``draft-ietf-httpapi-ratelimit-headers``): ``RateLimit-Limit``, ``RateLimit-Remaining``,
``RateLimit-Reset`` (seconds) and ``RateLimit-Policy`` (``<limit>;w=<window seconds>``).
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from starlette.requests import HTTPConnection
from starlette.responses import Response

from backend.common.errors import TooManyRequests
from backend.common.keys import RedisKeys

# One request counted against one window: {admitted 0/1, remaining after this request, ms
# until the oldest counted request leaves the window}. A Lua function, so that a script
# counting a request among other work shares it (``backend/orders/fairness.py``).
HIT_FUNCTION = """
local function hit(key, limit, window, member)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local used = redis.call('ZCARD', key)
  local admitted = 0
  if used < limit then
    redis.call('ZADD', key, now, member)
    redis.call('PEXPIRE', key, window)
    used = used + 1
    admitted = 1
  end
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  local reset = window
  if #oldest > 0 then reset = tonumber(oldest[2]) + window - now end
  return {admitted, limit - used, reset}
end
"""
# KEYS: the window. ARGV: limit, window ms, member (``PendingHit.args``).
_HIT = HIT_FUNCTION + "return hit(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3])\n"


@dataclass(frozen=True, slots=True)
class Quota:
    """At most ``amount`` requests per ``per_seconds``, for each one it applies to."""

    name: str  # the counter's name, e.g. "orders-user"
    amount: int
    per_seconds: int


@dataclass(frozen=True, slots=True)
class Budget:
    """What is left of a quota after a request."""

    limit: int
    remaining: int
    reset_seconds: int
    window_seconds: int

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
            "RateLimit-Policy": f"{self.limit};w={self.window_seconds}",
        }

    def apply(self, response: Response) -> Response:
        response.headers.update(self.headers())
        return response


def client_address(connection: HTTPConnection) -> str:
    """The caller's IP address. Behind a proxy, uvicorn has already replaced it with the
    one the proxy forwarded (``--forwarded-allow-ips`` / ``FORWARDED_ALLOW_IPS`` names the
    proxies trusted to say so)."""
    return connection.client.host if connection.client else "unknown"


@dataclass(frozen=True, slots=True)
class Hit:
    """One request counted (or refused) against one quota for one client."""

    quota: Quota
    key: str
    member: str
    admitted: bool
    budget: Budget

    def refusal(self, message: str, *, field: str | None = None) -> TooManyRequests:
        refusal = TooManyRequests(message, self.budget.reset_seconds, field=field)
        refusal.headers.update(self.budget.headers())
        return refusal


class RateLimiter:
    """Spends requests against quotas; one per service, opened in its lifespan."""

    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self.redis = redis
        self.keys = keys
        self._hit = redis.register_script(_HIT)
        self._prefix, self._counted = secrets.token_hex(6) + ":", 0

    def pending(self, quota: Quota, who: str) -> PendingHit:
        """One request of ``who`` about to be counted against ``quota``: its key and
        unique member (a per-process prefix and a counter: no system call per request)."""
        self._counted += 1
        member = f"{self._prefix}{self._counted:x}"
        return PendingHit(quota, self.keys.rate_limit(quota.name, who), member)

    async def hit(self, quota: Quota, who: str) -> Hit:
        """Count one request (one round trip)."""
        pending = self.pending(quota, who)
        return pending.read(await self._hit(keys=[pending.key], args=pending.args))

    async def refund(self, hit: Hit) -> None:
        """Give back a request that was counted (no-op for a refused one)."""
        if hit.admitted:
            await self.redis.zrem(hit.key, hit.member)

    async def spend(
        self, uses: Sequence[tuple[Quota, str]], message: str, *, field: str | None = None
    ) -> Budget:
        """Count one request against each ``(quota, who)``; the tightest budget left, or
        429 (``Retry-After``, ``RateLimit-*``) when any quota is spent. A request refused by
        one quota is not counted by those after it."""
        tightest: Budget | None = None
        for quota, who in uses:
            hit = await self.hit(quota, who)
            if not hit.admitted:
                raise hit.refusal(message, field=field)
            tightest = tighter(tightest, hit.budget)
        if tightest is None:
            raise ValueError("spend() needs at least one quota")
        return tightest

    async def clear(self, quota: Quota, who: str) -> None:
        await self.redis.delete(self.keys.rate_limit(quota.name, who))


@dataclass(frozen=True, slots=True)
class PendingHit:
    quota: Quota
    key: str
    member: str

    @property
    def args(self) -> list[int | str]:
        """The arguments of ``HIT_FUNCTION`` after the key: limit, window ms, member."""
        return [self.quota.amount, self.quota.per_seconds * 1000, self.member]

    def read(self, raw: Any) -> Hit:
        admitted, remaining, reset_ms = (int(v) for v in raw)
        budget = Budget(
            limit=self.quota.amount,
            remaining=max(0, remaining),
            reset_seconds=max(1, math.ceil(reset_ms / 1000)),
            window_seconds=self.quota.per_seconds,
        )
        return Hit(self.quota, self.key, self.member, bool(admitted), budget)


def tighter(current: Budget | None, other: Budget) -> Budget:
    """The budget with less left (what a client should be told)."""
    return other if current is None or other.remaining < current.remaining else current

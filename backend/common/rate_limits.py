"""Rate limits: how many requests a user or an address may make, counted in Redis.

Built on ``limits`` (the library behind Flask-Limiter and slowapi) with its moving-window
strategy: a hit is counted and checked in one Lua call, so parallel requests cannot all
slip under the limit. Every service shares the counters through Redis, under the
project's namespace.

A refusal is 429 in the common error body, with ``Retry-After``; answers that spent a
budget tell bots what is left with the ``RateLimit-*`` headers (IETF draft
``draft-ietf-httpapi-ratelimit-headers``): ``RateLimit-Limit``, ``RateLimit-Remaining``,
``RateLimit-Reset`` (seconds) and ``RateLimit-Policy`` (``<limit>;w=<window seconds>``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import Redis
from starlette.requests import HTTPConnection
from starlette.responses import Response

from backend.common.errors import TooManyRequests
from backend.common.keys import RedisKeys


@dataclass(frozen=True, slots=True)
class Quota:
    """At most ``amount`` requests per ``per_seconds``, for each one it applies to."""

    name: str  # the counter's name, e.g. "orders-user"
    amount: int
    per_seconds: int

    @property
    def item(self) -> RateLimitItem:
        return RateLimitItemPerSecond(self.amount, self.per_seconds, namespace=self.name)


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


class RateLimiter:
    """Spends requests against quotas; one per service, opened in its lifespan."""

    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        # On the service's own connection pool (closed with it), not a second one.
        self._storage = RedisStorage(
            "async+redis://",
            implementation="redispy",
            key_prefix=keys.rate_limits(),
            connection_pool=redis.connection_pool,  # type: ignore[arg-type]
        )
        self._limiter = MovingWindowRateLimiter(self._storage)

    async def spend(
        self, uses: Sequence[tuple[Quota, str]], message: str, *, field: str | None = None
    ) -> Budget:
        """Count one request against each ``(quota, who)``; the tightest budget left, or
        429 (``Retry-After``, ``RateLimit-*``) when any quota is spent. A request refused by
        one quota is not counted by those after it."""
        tightest: Budget | None = None
        for quota, who in uses:
            allowed = await self._limiter.hit(quota.item, who)
            budget = await self._budget(quota, who)
            if not allowed:
                refusal = TooManyRequests(message, budget.reset_seconds, field=field)
                refusal.headers.update(budget.headers())
                raise refusal
            if tightest is None or budget.remaining < tightest.remaining:
                tightest = budget
        if tightest is None:
            raise ValueError("spend() needs at least one quota")
        return tightest

    async def clear(self, quota: Quota, who: str) -> None:
        await self._limiter.clear(quota.item, who)

    async def _budget(self, quota: Quota, who: str) -> Budget:
        stats = await self._limiter.get_window_stats(quota.item, who)
        return Budget(
            limit=quota.amount,
            remaining=max(0, stats.remaining),
            reset_seconds=max(1, math.ceil(stats.reset_time - time.time())),
            window_seconds=quota.per_seconds,
        )

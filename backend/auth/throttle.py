"""Slows down password guessing: failed sign-ins per email are counted in Redis."""

from __future__ import annotations

from redis.asyncio import Redis

from backend.common.errors import TooManyRequests
from backend.common.keys import RedisKeys

# Count a failure; the window starts at the first failure and is not extended.
_RECORD_FAILURE = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""


class SigninThrottle:
    def __init__(self, redis: Redis, keys: RedisKeys, *, max_failures: int, window_s: int) -> None:
        self.redis = redis
        self.keys = keys
        self.max_failures = max_failures
        self.window_s = window_s
        self._record = redis.register_script(_RECORD_FAILURE)

    async def check(self, email: str) -> None:
        """Raise 429 when this email has failed too often within the window."""
        key = self.keys.signin_failures(email)
        count = await self.redis.get(key)
        if count is not None and int(count) >= self.max_failures:
            retry_after = int(await self.redis.ttl(key))
            raise TooManyRequests(
                "Too many failed sign-ins for this email; try again later",
                retry_after_seconds=retry_after if retry_after > 0 else self.window_s,
            )

    async def record_failure(self, email: str) -> None:
        await self._record(keys=[self.keys.signin_failures(email)], args=[self.window_s])

    async def reset(self, email: str) -> None:
        await self.redis.delete(self.keys.signin_failures(email))

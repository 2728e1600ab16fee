"""Ownership locks in Redis: acquire with ``SET NX PX``; release, extend and hand over
are compare-and-set Lua scripts that act only for the current owner."""

from __future__ import annotations

from redis.asyncio import Redis

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""

_EXTEND = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

_HAND_OVER = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0
"""


class Locks:
    """Each method takes the full key (built by ``RedisKeys``) and an owner token."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._release = redis.register_script(_RELEASE)
        self._extend = redis.register_script(_EXTEND)
        self._hand_over = redis.register_script(_HAND_OVER)

    async def acquire(self, key: str, owner: str, ttl_ms: int) -> bool:
        return bool(await self.redis.set(key, owner, nx=True, px=ttl_ms))

    async def release(self, key: str, owner: str) -> bool:
        return bool(await self._release(keys=[key], args=[owner]))

    async def extend(self, key: str, owner: str, ttl_ms: int) -> bool:
        return bool(await self._extend(keys=[key], args=[owner, ttl_ms]))

    async def hand_over(self, key: str, owner: str, new_owner: str, ttl_ms: int) -> bool:
        return bool(await self._hand_over(keys=[key], args=[owner, new_owner, ttl_ms]))

    async def owner(self, key: str) -> str | None:
        value = await self.redis.get(key)
        return None if value is None else str(value)

    async def remaining_ms(self, key: str) -> int | None:
        """Milliseconds left on the lock, or None when nobody holds it."""
        ttl = int(await self.redis.pttl(key))
        return ttl if ttl >= 0 else None

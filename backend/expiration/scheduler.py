"""Order deadlines kept durably in Redis, fired exactly once as ``OrderExpired``.

Deadlines live in a sorted set scored by epoch milliseconds; each member is the already
rendered ``OrderExpired`` envelope. Firing is one Lua script that removes due members
and appends them to the fact stream in the same atomic step: a restart loses nothing,
and two replicas can never fire the same deadline twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from datetime import datetime

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from backend.common.bus import STREAM_MAX_LEN, Envelope
from backend.common.facts import OrderExpired
from backend.common.keys import RedisKeys

log = structlog.get_logger(__name__)

# KEYS: deadlines zset, index hash, fired zset. ARGV: order id, deadline ms, member.
_SCHEDULE = """
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return 0 end
if redis.call('ZSCORE', KEYS[3], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return 1
"""

_UNSCHEDULE = """
local member = redis.call('HGET', KEYS[2], ARGV[1])
if not member then return 0 end
redis.call('ZREM', KEYS[1], member)
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
"""

# KEYS: deadlines zset, index hash, fired zset, fact stream.
# ARGV: now ms, batch size, max stream len, forget-fired-before ms.
# A fired order is remembered for a day so that a redelivered OrderCreated cannot
# schedule it again.
_FIRE_DUE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for _, member in ipairs(due) do
  local envelope = cjson.decode(member)
  redis.call('ZREM', KEYS[1], member)
  redis.call('HDEL', KEYS[2], envelope['orderId'])
  redis.call('ZADD', KEYS[3], ARGV[1], envelope['orderId'])
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[3], '*',
             'type', envelope['type'], 'data', envelope['data'])
end
if #due > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ARGV[4]) end
return #due
"""


FIRED_MEMORY_MS = 24 * 3600 * 1000


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class ExpirationScheduler:
    def __init__(self, redis: Redis, keys: RedisKeys, *, tick_s: float = 0.1) -> None:
        self.redis = redis
        self.keys = keys
        self.tick_s = tick_s
        self._schedule = redis.register_script(_SCHEDULE)
        self._unschedule = redis.register_script(_UNSCHEDULE)
        self._fire_due = redis.register_script(_FIRE_DUE)
        self._wake = asyncio.Event()

    @property
    def _keys(self) -> list[str]:
        return [
            self.keys.expirations(),
            self.keys.expiration_index(),
            self.keys.expirations_fired(),
            self.keys.stream(OrderExpired.STREAM),
        ]

    async def schedule(self, *, order_id: str, ticket_id: str, deadline: datetime) -> bool:
        """Idempotent: scheduling the same order again keeps the first deadline."""
        # A deterministic fact id: however often the order is scheduled, one expiry.
        fact = OrderExpired(
            id=f"expired-{order_id}",
            occurred_at=deadline,
            version=0,
            order_id=order_id,
            ticket_id=ticket_id,
        )
        envelope = Envelope.of(fact)
        member = json.dumps({"orderId": order_id, "type": envelope.type, "data": envelope.data})
        deadline_ms = _ms(deadline)
        added = await self._schedule(keys=self._keys[:3], args=[order_id, deadline_ms, member])
        if deadline_ms <= time.time() * 1000:
            # Already due: fired now, not at the next tick. A later one is fired by the
            # tick after it (waking for every new order cost a firing round trip each).
            self._wake.set()
        return bool(added)

    async def unschedule(self, order_id: str) -> bool:
        return bool(await self._unschedule(keys=self._keys[:2], args=[order_id]))

    async def fire_due(self, now_ms: int | None = None, batch: int = 100) -> int:
        now = int(time.time() * 1000) if now_ms is None else now_ms
        forget_before = now - FIRED_MEMORY_MS
        args = [now, batch, STREAM_MAX_LEN, forget_before]
        return int(await self._fire_due(keys=self._keys, args=args))

    async def pending(self) -> int:
        return int(await self.redis.zcard(self.keys.expirations()))

    async def run(self) -> None:
        """Fire deadlines until cancelled; Redis being unreachable only pauses it (a
        crashed loop would leave the process up, fire nothing and never say so)."""
        while True:
            self._wake.clear()
            try:
                while await self.fire_due() > 0:
                    pass
            except (RedisError, OSError) as exc:
                log.warning("expiration.redis_unavailable", error=str(exc))
                await asyncio.sleep(0.5)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.tick_s)

"""The live journal in Redis: every message gets the next cursor, is kept in a capped
stream (ids ``<cursor>-0``, for resume) and is published to the replicas' channel — all
in one script, together with the state snapshots are served from."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, cast

from redis.asyncio import Redis

from backend.common.keys import RedisKeys
from backend.live.messages import LiveMessage, public_view

# KEYS: cursor, stream, channel, tickets hash, then the order hash of each audience member.
# ARGV: body, ticket id, users csv, public flag, max len, ticket version (-1: none),
#       ticket state, order id, order state, order status.
# Returns the new cursor, or 0 for a duplicate (ticket version or order status not new).
_APPEND = """
if ARGV[6] ~= '-1' then
  local current = redis.call('HGET', KEYS[4], ARGV[2])
  if current and cjson.decode(current)['version'] >= tonumber(ARGV[6]) then return 0 end
  redis.call('HSET', KEYS[4], ARGV[2], ARGV[7])
end
if #KEYS >= 5 then
  local known = redis.call('HGET', KEYS[5], ARGV[8])
  -- a repeated status, or a creation arriving after the order moved on: nothing new
  if known and (cjson.decode(known)['status'] == ARGV[10] or ARGV[10] == 'created') then
    return 0
  end
end
for i = 5, #KEYS do redis.call('HSET', KEYS[i], ARGV[8], ARGV[9]) end
local cursor = redis.call('INCR', KEYS[1])
local frame = '{"cursor":' .. cursor .. ',' .. string.sub(ARGV[1], 2)
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], cursor .. '-0',
           'frame', frame, 'ticket', ARGV[2], 'users', ARGV[3], 'public', ARGV[4])
local routing = cursor .. '|' .. ARGV[2] .. '|' .. ARGV[3] .. '|' .. ARGV[4]
redis.call('PUBLISH', KEYS[3], routing .. '|' .. frame)
return cursor
"""

_SNAPSHOT_TICKETS = """
return {redis.call('GET', KEYS[1]) or '0', redis.call('HGETALL', KEYS[2])}
"""

_SNAPSHOT_ONE = """
return {redis.call('GET', KEYS[1]) or '0', redis.call('HGET', KEYS[2], ARGV[1]) or ''}
"""


@dataclass(frozen=True, slots=True)
class Delivery:
    """A journaled message as the gateway routes it."""

    cursor: int
    ticket_id: str
    users: frozenset[str]
    public: bool
    frame: str

    @classmethod
    def from_channel(cls, payload: str) -> Delivery:
        cursor, ticket_id, users, public, frame = payload.split("|", 4)
        return cls(int(cursor), ticket_id, _users(users), public == "1", frame)

    @classmethod
    def from_stream(cls, msg_id: str, fields: dict[str, str]) -> Delivery:
        return cls(
            int(msg_id.split("-", 1)[0]),
            fields["ticket"],
            _users(fields["users"]),
            fields["public"] == "1",
            fields["frame"],
        )


def _users(csv: str) -> frozenset[str]:
    return frozenset(u for u in csv.split(",") if u)


class Journal:
    def __init__(self, redis: Redis, keys: RedisKeys, *, history: int) -> None:
        self.redis = redis
        self.keys = keys
        self.history = history
        self._append = redis.register_script(_APPEND)
        self._snapshot_tickets = redis.register_script(_SNAPSHOT_TICKETS)
        self._snapshot_one = redis.register_script(_SNAPSHOT_ONE)

    async def append(self, message: LiveMessage) -> int:
        """Journal and publish; 0 when the ticket state is not newer (a duplicate)."""
        k = self.keys
        keys = [k.live_cursor(), k.live_stream(), k.live_channel(), k.live_tickets()]
        order_id, order_state, order_status = "", "", ""
        if message.order_state is not None:
            keys += [k.live_orders(user) for user in message.users]
            order_id = message.order_state.order_id
            order_state = json.dumps(message.order_state.view)
            order_status = str(message.order_state.view["status"])
        ticket = message.ticket_state
        args: list[Any] = [
            message.body_json(),
            message.ticket_id,
            ",".join(message.users),
            "1" if message.public else "0",
            self.history,
            ticket.version if ticket else -1,
            json.dumps(ticket.view) if ticket else "",
            order_id,
            order_state,
            order_status,
        ]
        return int(await self._append(keys=keys, args=args))

    async def cursor(self) -> int:
        return int(await self.redis.get(self.keys.live_cursor()) or 0)

    async def ticket(self, ticket_id: str) -> dict[str, Any] | None:
        raw = await self.redis.hget(self.keys.live_tickets(), ticket_id)  # type: ignore[misc]  # redis-py 7 stubs: sync|async union
        return None if raw is None else dict(json.loads(raw))

    async def order(self, user_id: str, order_id: str) -> dict[str, Any] | None:
        raw = await self.redis.hget(self.keys.live_orders(user_id), order_id)  # type: ignore[misc]  # redis-py 7 stubs: sync|async union
        return None if raw is None else dict(json.loads(raw))

    async def market_snapshot(self) -> tuple[int, list[dict[str, Any]]]:
        """Every ticket still on the market, and the cursor it is current at."""
        cursor, flat = await self._snapshot_tickets(
            keys=[self.keys.live_cursor(), self.keys.live_tickets()]
        )
        views = [json.loads(flat[i + 1]) for i in range(0, len(flat), 2)]
        return int(cursor), [public_view(v) for v in views if v["status"] != "sold"]

    async def ticket_snapshot(self, ticket_id: str) -> tuple[int, dict[str, Any] | None]:
        cursor, raw = await self._snapshot_one(
            keys=[self.keys.live_cursor(), self.keys.live_tickets()], args=[ticket_id]
        )
        return int(cursor), (public_view(json.loads(raw)) if raw else None)

    async def orders_snapshot(self, user_id: str) -> tuple[int, list[dict[str, Any]]]:
        cursor, flat = await self._snapshot_tickets(
            keys=[self.keys.live_cursor(), self.keys.live_orders(user_id)]
        )
        return int(cursor), [json.loads(flat[i + 1]) for i in range(0, len(flat), 2)]

    async def since(self, cursor: int, *, limit: int = 10_000) -> list[Delivery] | None:
        """Messages after ``cursor``; None when some of them were trimmed away (resync)."""
        if cursor > await self.cursor():
            return None  # a cursor from before a reset of the journal
        entries = cast(
            list[tuple[str, dict[str, str]]],
            await self.redis.xrange(
                self.keys.live_stream(), min=f"({cursor}-0", max="+", count=limit
            ),
        )
        if entries and int(entries[0][0].split("-", 1)[0]) != cursor + 1:
            return None  # the first ones we would need were trimmed
        if len(entries) == limit:
            return None  # more than we serve in one go: a fresh snapshot is cheaper
        return [Delivery.from_stream(msg_id, fields) for msg_id, fields in entries]

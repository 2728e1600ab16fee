"""The live journal in Redis: every message gets the next cursor, is kept in a capped
stream (ids ``<cursor>-0``, for resume) and is published to the replicas' channel — all
in one script, together with the state snapshots are served from."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, cast

from redis.asyncio import Redis

from backend.common.keys import RedisKeys
from backend.live.messages import LiveMessage, public_view
from wire.values import LISTED

# KEYS: cursor, stream, channel, tickets hash, the event's counts, prices and listings, then
# the order hash of each audience member.
# ARGV: body, ticket id, users csv, public flag, max len, ticket version (-1: none),
#       ticket state, order id, order state, order status, event id, ticket status,
#       ticket price (cents).
# Returns the new cursor, or 0 for a duplicate (ticket version or order stage not new: its
# status, and whether it was refunded and paid out, as ``order_stage`` says).
# A ticket of an event also moves the event's counts (its status before and now), its
# price in the event's prices (for sale) and its place in the event's listings (for sale or
# held: what an event page's snapshot reads); the message then tells the availability.
_APPEND = """
local availability = ''
if ARGV[6] ~= '-1' then
  local current = redis.call('HGET', KEYS[4], ARGV[2])
  local before = nil
  if current then
    local old = cjson.decode(current)
    if old['version'] >= tonumber(ARGV[6]) then return 0 end
    local old_event = old['event'] and old['event']['id']
    if old_event == ARGV[11] then before = old['status'] end
  end
  redis.call('HSET', KEYS[4], ARGV[2], ARGV[7])
  if ARGV[11] ~= '' then
    if before then redis.call('HINCRBY', KEYS[5], before, -1) end
    redis.call('HINCRBY', KEYS[5], ARGV[12], 1)
    if ARGV[12] == 'available' then
      redis.call('ZADD', KEYS[6], tonumber(ARGV[13]), ARGV[2])
    else
      redis.call('ZREM', KEYS[6], ARGV[2])
    end
    if ARGV[12] == 'available' or ARGV[12] == 'locked' then
      redis.call('ZADD', KEYS[7], tonumber(ARGV[13]), ARGV[2])
    else
      redis.call('ZREM', KEYS[7], ARGV[2])
    end
    availability = '"availability":' .. event_availability(KEYS[4], KEYS[5], KEYS[6]) .. ','
  end
end
if #KEYS >= 8 then
  local known = redis.call('HGET', KEYS[8], ARGV[8])
  -- a repeated stage, or a creation arriving after the order moved on: nothing new
  if known and (order_stage(cjson.decode(known)) == ARGV[10] or ARGV[10] == 'created') then
    return 0
  end
end
for i = 8, #KEYS do redis.call('HSET', KEYS[i], ARGV[8], ARGV[9]) end
local cursor = redis.call('INCR', KEYS[1])
local frame = '{"cursor":' .. cursor .. ',' .. availability .. string.sub(ARGV[1], 2)
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], cursor .. '-0', 'frame', frame,
           'ticket', ARGV[2], 'event', ARGV[11], 'users', ARGV[3], 'public', ARGV[4])
local routing = cursor .. '|' .. ARGV[2] .. '|' .. ARGV[11] .. '|' .. ARGV[3] .. '|' .. ARGV[4]
redis.call('PUBLISH', KEYS[3], routing .. '|' .. frame)
return cursor
"""

# An event's availability as JSON (``wire.events.Availability``), from its counts and the
# cheapest of its prices (whose currency its ticket's state tells).
_EVENT_AVAILABILITY = """
local function event_availability(tickets, counts_key, prices_key)
  local counts = redis.call('HMGET', counts_key, 'available', 'locked', 'sold')
  local result = {available = tonumber(counts[1] or '0'), locked = tonumber(counts[2] or '0'),
                  sold = tonumber(counts[3] or '0'), minPrice = cjson.null}
  local cheapest = redis.call('ZRANGE', prices_key, 0, 0)
  if #cheapest > 0 then
    local view = redis.call('HGET', tickets, cheapest[1])
    if view then result['minPrice'] = cjson.decode(view)['price'] end
  end
  return cjson.encode(result)
end
"""
# An order's stage: its status, and whether it was refunded and paid out since (those
# keep its status, complete); ``order_stage`` below is the same in Python.
_ORDER_STAGE = """
local function order_stage(view)
  local stage = view['status']
  if view['refunded'] and view['refunded'] ~= cjson.null then stage = stage .. '+refunded' end
  if view['paidOut'] and view['paidOut'] ~= cjson.null then stage = stage .. '+paid_out' end
  return stage
end
"""
_APPEND = _EVENT_AVAILABILITY + _ORDER_STAGE + _APPEND


def order_stage(view: dict[str, Any]) -> str:
    stage = str(view["status"])
    if view.get("refunded") is not None:
        stage += "+refunded"
    if view.get("paidOut") is not None:
        stage += "+paid_out"
    return stage


# KEYS: cursor, tickets hash, the event's counts and prices.
# KEYS: cursor, tickets hash, the event's counts, prices and listings. The event's
# listings (cheapest first) as their views, read at the cursor returned.
_SNAPSHOT_EVENT = (
    _EVENT_AVAILABILITY
    + """
local ids = redis.call('ZRANGE', KEYS[5], 0, -1)
local views = {}
if #ids > 0 then views = redis.call('HMGET', KEYS[2], unpack(ids)) end
return {redis.call('GET', KEYS[1]) or '0', views,
        event_availability(KEYS[2], KEYS[3], KEYS[4])}
"""
)

# KEYS: names hash. ARGV: user id, version, name. Kept only when newer than what is known.
_REMEMBER_NAME = """
local known = redis.call('HGET', KEYS[1], ARGV[1])
if known and cjson.decode(known)['version'] >= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode({version = tonumber(ARGV[2]), name = ARGV[3]}))
return 1
"""

# KEYS: tickets hash, names hash. ARGV: ticket id, user id.
_TICKET_AND_NAME = """
return {redis.call('HGET', KEYS[1], ARGV[1]) or '', redis.call('HGET', KEYS[2], ARGV[2]) or ''}
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
    event_id: str = ""  # the event of its ticket ("" for none)
    # The public topics it is for, named once here rather than for every client.
    topics: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        topics = ("tickets", f"ticket:{self.ticket_id}", f"event:{self.event_id}")
        object.__setattr__(self, "topics", topics if self.public else ())

    @classmethod
    def from_channel(cls, payload: str) -> Delivery:
        cursor, ticket_id, event_id, users, public, frame = payload.split("|", 5)
        return cls(int(cursor), ticket_id, _users(users), public == "1", frame, event_id)

    @classmethod
    def from_stream(cls, msg_id: str, fields: dict[str, str]) -> Delivery:
        return cls(
            int(msg_id.split("-", 1)[0]),
            fields["ticket"],
            _users(fields["users"]),
            fields["public"] == "1",
            fields["frame"],
            fields.get("event", ""),  # journaled before events had topics: none
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
        self._snapshot_event = redis.register_script(_SNAPSHOT_EVENT)
        self._remember_name = redis.register_script(_REMEMBER_NAME)
        self._ticket_and_name = redis.register_script(_TICKET_AND_NAME)

    async def append(self, message: LiveMessage) -> int:
        """Journal and publish; 0 when the ticket state is not newer (a duplicate)."""
        k = self.keys
        event_id = message.event_id
        keys = [k.live_cursor(), k.live_stream(), k.live_channel(), k.live_tickets(),
                k.live_event_counts(event_id), k.live_event_prices(event_id),
                k.live_event_listings(event_id)]  # fmt: skip
        order_id, order_state, order_status = "", "", ""
        if message.order_state is not None:
            keys += [k.live_orders(user) for user in message.users]
            order_id = message.order_state.order_id
            order_state = json.dumps(message.order_state.view)
            order_status = order_stage(message.order_state.view)
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
            event_id,
            ticket.view["status"] if ticket else "",
            ticket.view["price"]["amount"] if ticket else 0,
        ]
        return int(await self._append(keys=keys, args=args))

    async def cursor(self) -> int:
        return int(await self.redis.get(self.keys.live_cursor()) or 0)

    async def ticket_and_name(
        self, ticket_id: str, user_id: str
    ) -> tuple[dict[str, Any] | None, str | None]:
        """The ticket's journaled state and the user's display name (None: unknown to
        the journal), in one round trip."""
        raw_ticket, raw_name = await self._ticket_and_name(
            keys=[self.keys.live_tickets(), self.keys.live_names()], args=[ticket_id, user_id]
        )
        ticket = dict(json.loads(raw_ticket)) if raw_ticket else None
        return ticket, (str(json.loads(raw_name)["name"]) if raw_name else None)

    async def remember_name(self, user_id: str, version: int, name: str) -> bool:
        """Keep the user's display name at ``version``; False when a version as new is
        already known."""
        kept = await self._remember_name(
            keys=[self.keys.live_names()], args=[user_id, version, name]
        )
        return bool(kept)

    async def order(self, user_id: str, order_id: str) -> dict[str, Any] | None:
        raw = await self.redis.hget(self.keys.live_orders(user_id), order_id)  # type: ignore[misc]  # redis-py 7 stubs: sync|async union
        return None if raw is None else dict(json.loads(raw))

    async def market_snapshot(self) -> tuple[int, list[dict[str, Any]]]:
        """Every ticket still on the market, and the cursor it is current at."""
        cursor, flat = await self._snapshot_tickets(
            keys=[self.keys.live_cursor(), self.keys.live_tickets()]
        )
        views = [json.loads(flat[i + 1]) for i in range(0, len(flat), 2)]
        return int(cursor), [public_view(v) for v in views if v["status"] in LISTED]

    async def event_snapshot(
        self, event_id: str
    ) -> tuple[int, list[dict[str, Any]], dict[str, Any]]:
        """The event's listings (for sale or held), its availability, and the cursor
        they are current at."""
        k = self.keys
        cursor, raw_views, availability = await self._snapshot_event(
            keys=[
                k.live_cursor(), k.live_tickets(), k.live_event_counts(event_id),
                k.live_event_prices(event_id), k.live_event_listings(event_id),
            ]
        )  # fmt: skip
        views = [json.loads(raw) for raw in raw_views if raw]
        listings = [public_view(v) for v in views if v["status"] in LISTED]
        listings.sort(key=lambda v: (v["price"]["amount"], v["id"]))
        return int(cursor), listings, dict(json.loads(availability))

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

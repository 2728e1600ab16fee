"""Fair holds at the orders API: the hold policy and the rate limits of ``POST /api/orders``,
read from the settings (``MAX_OPEN_ORDERS_PER_USER``, ``REHOLD_COOLDOWN_SECONDS``,
``ORDER_RATE_PER_USER``, ``ORDER_RATE_PER_IP``, ``ORDER_RATE_WINDOW_SECONDS``).

Every ``POST /api/orders`` counts against its address (a flood of any kind); only attempts
to hold a ticket (a ticket known and for sale, not the buyer's own) count against the
user, so that a client waiting for a new listing to reach the orders service (404) or a
seller's own ticket (409) spends nothing of a buyer's budget.

The first look (``OrderLimits.first_look``) is one Redis round trip: the buyer's session
is checked (this route does it instead of the authentication middleware), both budgets
are counted, and the ticket's lock holder and card (``cards.py``) are read, in one Lua
script (one command: the pipeline of six it replaced cost more client CPU). A lost race
is answered from it; the user's request is given back when the session has ended or the
ticket turns out not to be for sale to them.

On a single Redis server the same script also reserves the buyer's hold and takes the
ticket's lock when what it read says the buyer may try: the buyers of a sale who find the
ticket free in the same moment no longer all reserve a hold, try the lock and give the
hold back (three more calls each for those who lose); the one whose script runs first
wins, the others' scripts find the lock taken. In-process, a sale's CPU per buyer went
from 286 to 200 µs (the bare lock: 124; ``bench/hot_path.py``). A Redis Cluster keeps
the buyer's keys and the ticket's in different slots: there the hold and the lock are
taken after the first look, in two steps (``backend/common/holds.py``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bson import ObjectId
from starlette.requests import Request
from starlette.responses import Response

from backend.common.auth import CurrentUser, Revocations
from backend.common.batches import ScriptBatches
from backend.common.errors import NotAuthorized
from backend.common.holds import (
    RESERVE_FUNCTION,
    HoldPolicy,
    Reservation,
    reservation,
    reserve_args,
)
from backend.common.rate_limits import (
    HIT_FUNCTION,
    Budget,
    Hit,
    Quota,
    client_address,
    tighter,
)
from backend.common.runtime import Runtime
from backend.common.settings import Settings
from backend.common.ticket_locks import Holder, order_token
from backend.orders.cards import (
    CARD_FIELDS,
    PRICED_FIELDS,
    Locked,
    TicketCard,
    TicketCards,
    locked,
)
from wire.values import TicketStatus

RATE_MESSAGE = "Too many orders in a short time; wait and try again"


def hold_policy(settings: Settings) -> HoldPolicy:
    return HoldPolicy(
        cap=settings.max_open_orders_per_user,
        cooldown_ms=settings.rehold_cooldown_seconds * 1000,
    )


def order_quotas(settings: Settings) -> tuple[Quota, Quota]:
    """Per user, then per IP address (several people may share one address)."""
    window = settings.order_rate_window_seconds
    return (
        Quota("orders-user", settings.order_rate_per_user, window),
        Quota("orders-ip", settings.order_rate_per_ip, window),
    )


def _lua_strings(names: tuple[str, ...]) -> str:
    """Names as a Lua argument list (a card's fields, written where ``cards.py`` reads them)."""
    return ", ".join(f"'{name}'" for name in names)


# The first look in one script (a single Redis server): the session's two reads, both
# budgets counted, the ticket's lock holder and card read; and when all of it says the
# buyer may try (session current, both budgets admitted, the lock free, the card neither
# theirs nor sold nor void), the buyer's hold reserved and the lock taken at its deadline,
# with the committed version and the priced card read behind it: one round trip for every
# buyer of a sale, winner or loser. KEYS: revoked token, session generation, the address's
# window, the user's window, ticket lock, ticket card, the buyer's open and ended holds,
# the ticket's committed version. ARGV: the address's hit (3), the user's hit (3), the
# token's generation, the buyer, the sold and void statuses, the order's lock token, then
# ``reserve_args`` (7).
_FIRST_LOOK = (
    HIT_FUNCTION
    + RESERVE_FUNCTION
    + """
local n = tonumber
local signed_out = redis.call('EXISTS', KEYS[1])
local generation = redis.call('GET', KEYS[2])
local address = hit(KEYS[3], n(ARGV[1]), n(ARGV[2]), ARGV[3])
local user = hit(KEYS[4], n(ARGV[4]), n(ARGV[5]), ARGV[6])
local holder = redis.call('GET', KEYS[5])
local card = redis.call('HMGET', KEYS[6], CARD_FIELDS)
local taken = false
if signed_out == 0 and generation and n(generation) == n(ARGV[7])
    and address[1] == 1 and user[1] == 1 and not holder and card[1] and card[2]
    and card[1] ~= ARGV[8] and card[2] ~= ARGV[9] and card[2] ~= ARGV[10] then
  local reserved = reserve(KEYS[7], KEYS[8], ARGV[12], n(ARGV[13]), n(ARGV[14]), n(ARGV[15]),
    n(ARGV[16]), n(ARGV[17]), {ARGV[18]})
  taken = {reserved}
  if reserved[1] == 0 then
    local won = redis.call('SET', KEYS[5], ARGV[11], 'NX', 'PXAT', reserved[2])
    taken = {reserved, won and 1 or 0, redis.call('GET', KEYS[5]), redis.call('GET', KEYS[9]),
      redis.call('HMGET', KEYS[6], PRICED_FIELDS)}
  end
end
return {signed_out, generation, address, user, holder, card, taken}
""".replace("CARD_FIELDS", _lua_strings(CARD_FIELDS)).replace(
        "PRICED_FIELDS", _lua_strings(PRICED_FIELDS)
    )
)


class FirstLooks:
    """What the first look needs, built once per process (not per request): the ticket
    cards, its script, the session check, the limiter and the quotas and hold policy
    read from the settings."""

    def __init__(self, runtime: Runtime, cards: TicketCards) -> None:
        settings = runtime.settings
        self.cards = cards
        self.script = ScriptBatches(runtime.redis, _FIRST_LOOK)
        self.sessions = Revocations(runtime.redis, runtime.keys)
        self.holds = runtime.ticket_locks.holds
        self.limiter = runtime.rate_limits
        self.per_user, self.per_ip = order_quotas(settings)
        self.policy = hold_policy(settings)
        self.hold_ms = int(settings.lock_ttl_seconds * 1000)
        self.cluster = settings.redis_cluster


@dataclass(frozen=True, slots=True)
class Taken:
    """The hold and the lock the first look took for an order (a single Redis server)."""

    order_id: str
    reservation: Reservation  # refused: no lock was taken
    locked: Locked | None  # None when the reservation was refused


@dataclass(frozen=True, slots=True)
class FirstLook:
    """The ticket as Redis knows it when the attempt was counted."""

    holder: Holder | None  # who holds its purchase lock
    card: TicketCard | None  # its owner and status; None: read the replica
    taken: Taken | None = None  # None: the hold and the lock are still to take


class OrderLimits:
    """The budgets one ``POST /api/orders`` spends; the tightest is told to the client."""

    def __init__(self, looks: FirstLooks, request: Request, buyer: CurrentUser) -> None:
        self._looks = looks
        self._buyer = buyer
        self._address = client_address(request)
        self._tightest: Budget | None = None
        self._user: Hit | None = None

    async def spend_address(self) -> None:
        """Only the address (a request refused before it names a ticket)."""
        hit = await self._looks.limiter.hit(self._looks.per_ip, self._address)
        self._admit(hit)

    async def first_look(self, ticket_id: str) -> FirstLook:
        """Check the buyer's session, count the attempt against the address and the
        user, and read the ticket's lock holder and card: one round trip. A session
        signed out or of an old generation: 401 (the user's count given back). Refused by
        the address: 429 (likewise). The user's refusal waits for ``charge_user``. On a
        single Redis server the same round trip reserves the hold and takes the lock
        when the buyer may try (``Taken``)."""
        looks = self._looks
        cards = looks.cards
        taken = None
        if looks.cluster:
            # The keys live in several slots, which one script cannot span: the five reads
            # and counts go out at once instead (to several shards), one round trip of
            # waiting all the same; the hold and the lock are taken after it.
            revoked, address, user, holder, card = await asyncio.gather(
                looks.sessions.is_revoked(self._buyer),
                looks.limiter.hit(looks.per_ip, self._address),
                looks.limiter.hit(looks.per_user, self._buyer.id),
                looks.limiter.redis.get(cards.keys.ticket_lock(ticket_id)),
                cards.read(ticket_id),
            )
        else:  # one script, batched with the first looks of the same moment
            buyer, order_id = self._buyer, str(ObjectId())
            per_ip = looks.limiter.pending(looks.per_ip, self._address)
            per_user = looks.limiter.pending(looks.per_user, buyer.id)
            keys = [
                *looks.sessions.check_keys(buyer),
                per_ip.key,
                per_user.key,
                cards.keys.ticket_lock(ticket_id),
                cards.keys.ticket_card(ticket_id),
                *looks.holds.keys_of(buyer.id),
                cards.keys.ticket_version(ticket_id),
            ]
            args = [
                *per_ip.args,
                *per_user.args,
                buyer.generation,
                buyer.id,
                TicketStatus.SOLD.value,
                TicketStatus.VOID.value,
                order_token(order_id),
                *reserve_args(ticket_id, order_id, looks.hold_ms, looks.policy),
            ]
            reply = await looks.script(keys, args)
            signed_out, current, ip_raw, user_raw, holder, card, took = reply
            revoked = looks.sessions.revoked(buyer, signed_out, current)
            address, user = per_ip.read(ip_raw), per_user.read(user_raw)
            if took is not None:
                taken = Taken(
                    order_id,
                    reservation(took[0]),
                    None if len(took) == 1 else locked(order_id, *took[1:]),
                )
        await self._settle(revoked, address, user)
        return FirstLook(
            holder=None if holder is None else Holder.parse(str(holder)),
            card=TicketCard.read(card),
            taken=taken,
        )

    async def count(self) -> None:
        """The first look without a ticket (an order of a listing's seats): the session
        checked, the attempt counted against the address and the user."""
        revoked, address, user = await asyncio.gather(
            self._looks.sessions.is_revoked(self._buyer),
            self._looks.limiter.hit(self._looks.per_ip, self._address),
            self._looks.limiter.hit(self._looks.per_user, self._buyer.id),
        )
        await self._settle(revoked, address, user)

    async def _settle(self, revoked: bool, address: Hit, user: Hit) -> None:
        self._user = user
        if revoked or not address.admitted:
            await self.uncharge_user()
        if revoked:
            raise NotAuthorized()
        self._admit(address)

    async def check_session(self) -> None:
        """The session check alone (a request refused before its first look): 401."""
        if await self._looks.sessions.is_revoked(self._buyer):
            raise NotAuthorized()

    async def uncharge_user(self) -> None:
        """The ticket is not for sale to this user: their attempt does not count."""
        if self._user is not None:
            await self._looks.limiter.refund(self._user)
            self._user = None

    def charge_user(self) -> None:
        """The attempt counts against the user: 429 when their budget is spent."""
        if self._user is not None:
            self._admit(self._user)

    def _admit(self, hit: Hit) -> None:
        if not hit.admitted:
            raise hit.refusal(RATE_MESSAGE)
        self._tightest = tighter(self._tightest, hit.budget)

    def headers(self) -> dict[str, str]:
        return {} if self._tightest is None else self._tightest.headers()

    def apply(self, response: Response) -> Response:
        response.headers.update(self.headers())
        return response

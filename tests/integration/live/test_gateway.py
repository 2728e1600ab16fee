"""The live gateway end to end: replicas sharing one Redis, private messages, bad frames,
the lock deadline as watchers see it, and snapshots taken while the market moves.

Every wait polls with a deadline; absence ("never twice", "never to a stranger") is shown
with a marker: a later message, which the gateway delivers in cursor order, so everything
before it has already been routed when it arrives.
"""

from __future__ import annotations

import asyncio
import functools
import json
import operator
import time
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from backend.common.auth import Revocations, issue_token
from backend.common.keys import RedisKeys
from backend.common.settings import Settings
from tests.conftest import TEST_JWT_KEY
from tests.support.api import User, eventually
from tests.support.live import LiveClient
from tests.support.live_fixtures import (
    LISTING_SERVICES,
    Frame,
    bearer_token,
    changes,
    cursors,
    journal_cursor,
    journal_of,
    listing,
    live_replica,
    open_with_cookie,
    read_to_cursor,
    read_until,
    session_cookie,
    subscribe,
)
from tests.support.market import place_order
from tests.support.stack import Stack, running_stack
from tests.support.tokens import BAD_TOKENS

pytestmark = pytest.mark.integration

EXPIRY_SERVICES = ("auth", "tickets", "orders", "expiration", "live")


@pytest.fixture
async def listing_stack(market_settings: Settings) -> AsyncIterator[Stack]:
    async with running_stack(market_settings, only=LISTING_SERVICES) as running:
        yield running


def listed_ids(messages: list[Frame]) -> list[str]:
    """Ticket ids a market watcher learnt of: from its snapshot, then from listings."""
    ids: list[str] = []
    for message in messages:
        if message["type"] == "snapshot" and message["topic"] == "tickets":
            ids += [ticket["id"] for ticket in message["tickets"]]
        elif message["type"] == "ticket.listed":
            ids.append(message["ticketId"])
    return ids


# -- 1. replicas ----------------------------------------------------------------------------
async def test_two_replicas_deliver_each_listing_once_with_the_same_cursor(
    listing_stack: Stack, market_settings: Settings, redis: Redis, keys: RedisKeys
) -> None:
    async with (
        live_replica(market_settings) as replica_url,
        User(listing_stack.url, "seller") as seller,
    ):
        # One client behind the one-origin gateway (replica 1), one on replica 2.
        clients = [await LiveClient.open(listing_stack.url), await LiveClient.open(replica_url)]
        try:
            for client in clients:
                assert (await subscribe(client, "tickets"))[0]["tickets"] == []

            tickets = await asyncio.gather(*(seller.sell(title=f"Seat {i}") for i in range(5)))
            marker = await seller.sell(title="Marker")
            # Either replica's consumer may journal any of them, in any order.
            last = await eventually(lambda: journal_cursor(redis, keys), lambda c: c >= 6)
            for client in clients:
                await read_to_cursor(client, last)

            on_first, on_second = (changes(client.seen) for client in clients)
            assert on_first == on_second  # the same frames, cursors included, in one order
            assert cursors(on_first) == list(range(1, last + 1))
            assert sorted(listed_ids(on_first)) == sorted(t["id"] for t in [*tickets, marker])
            # Journaled once, though both replicas' consumers read in the group "live".
            journaled = await redis.xrange(keys.live_stream())
            assert journaled is not None
            assert [entry_id for entry_id, _ in journaled] == [f"{c}-0" for c in range(1, 7)]
            assert last == 6
        finally:
            for client in clients:
                await client.close()


# -- 4. bad frames ---------------------------------------------------------------------------
def _frame(**body: Any) -> str:
    return json.dumps(body)


UNKNOWN = "a" * 24  # a user the tokens below name
EMAIL = "nobody@example.com"

# (what is wrong, the frame, a word the error must contain)
BAD_FRAMES: list[tuple[str, str | bytes, str]] = [
    ("not JSON", "{op: ping", "JSON"),
    ("a JSON array", '["ping"]', "object"),
    ("a JSON string", '"ping"', "object"),
    ("JSON nested too deep", "[" * 2000 + "]" * 2000, "JSON"),
    ("an unknown op", _frame(op="dance"), "op"),
    ("no op", _frame(topics=["tickets"]), "op"),
    ("subscribe without topics", _frame(op="subscribe"), "topics"),
    ("subscribe to no topics", _frame(op="subscribe", topics=[]), "topics"),
    ("topics not a list", _frame(op="subscribe", topics=5), "topics"),
    (
        "too many topics",
        _frame(op="subscribe", topics=[f"ticket:{i:024x}" for i in range(51)]),
        "topics",
    ),
    ("an unknown topic", _frame(op="subscribe", topics=["weather"]), "topic"),
    ("a topic that is not a string", _frame(op="subscribe", topics=[7]), "topic"),
    ("ticket:<not hex>", _frame(op="subscribe", topics=["ticket:" + "z" * 24]), "topic"),
    ("ticket:<short id>", _frame(op="subscribe", topics=["ticket:abc123"]), "topic"),
    ("unsubscribe an unknown topic", _frame(op="unsubscribe", topics=["weather"]), "topic"),
    ("an oversized frame", _frame(op="ping", pad="x" * 5_000), "larger"),
    ("a binary frame", b'{"op":"ping"}', "binary"),
    ("since negative", _frame(op="subscribe", topics=["tickets"], since=-1), "since"),
    ("since a string", _frame(op="subscribe", topics=["tickets"], since="5"), "since"),
    ("since a float", _frame(op="subscribe", topics=["tickets"], since=1.5), "since"),
    ("since a boolean", _frame(op="subscribe", topics=["tickets"], since=True), "since"),
    ("me without auth", _frame(op="subscribe", topics=["me"]), "me"),
    ("auth without a token", _frame(op="auth"), "token"),
    ("auth with a number", _frame(op="auth", token=5), "token"),
    *(
        (f"auth with a bad token ({kind})", _frame(op="auth", token=make(UNKNOWN, EMAIL)), "token")
        for kind, make in BAD_TOKENS.items()
    ),
]


async def test_every_bad_frame_gets_an_error_and_the_connection_stays_usable(
    settings: Settings, redis: Redis, keys: RedisKeys
) -> None:
    async with live_replica(settings) as url:
        client = await LiveClient.open(url)
        try:
            for what, raw, word in BAD_FRAMES:
                await client.conn.send(raw)
                answer = await client.next()
                assert answer["type"] == "error", (what, answer)
                assert word in answer["message"], (what, answer)
                # Nothing else (no snapshot, no pong for an oversized ping): the next
                # thing said is the answer to our ping.
                await client.send(op="ping")
                assert await client.next() == {"type": "pong"}, what
            # Still a full client: it can sign in and subscribe.
            await Revocations(redis, keys).advance(UNKNOWN, 0)  # a user the services know
            token = issue_token(user_id=UNKNOWN, email=EMAIL, key=TEST_JWT_KEY, ttl_seconds=60)
            await client.send(op="auth", token=token.token)
            assert await client.next() == {"type": "authenticated", "userId": UNKNOWN}
            snapshots = await subscribe(client, "me", "tickets")
            assert [(m["type"], m["topic"]) for m in snapshots] == [
                ("snapshot", "me"),
                ("snapshot", "tickets"),
            ]
        finally:
            await client.close()


async def test_an_idle_socket_is_pinged_and_stays_open(settings: Settings) -> None:
    settings = settings.model_copy(update={"live_ping_seconds": 0.2})
    async with live_replica(settings) as url:
        client = await LiveClient.open(url)
        try:
            for _ in range(2):
                assert await client.next(timeout=5) == {"type": "ping"}
            await client.send(op="ping")
            assert await client.until("pong", timeout=5) == {"type": "pong"}
        finally:
            await client.close()


# -- 5. private messages -------------------------------------------------------------------
def order_messages(client: LiveClient) -> Counter[tuple[str, str]]:
    return Counter(
        (m["type"], m["orderId"]) for m in changes(client.seen) if m["type"].startswith("order.")
    )


async def test_order_messages_reach_only_the_buyer_and_the_seller(stack: Stack) -> None:
    async with (
        User(stack.url, "seller") as seller,
        User(stack.url, "buyer") as buyer,
        User(stack.url, "stranger") as stranger,
    ):
        # Signed in three ways: bearer header, session cookie, the "auth" op.
        seller_ws = await LiveClient.open(stack.url, token=await bearer_token(seller))
        buyer_ws = await open_with_cookie(stack.url, session_cookie(buyer))
        stranger_ws = await LiveClient.open(stack.url)
        clients = [seller_ws, buyer_ws, stranger_ws]
        try:
            await stranger_ws.send(op="auth", token=await bearer_token(stranger))
            assert await stranger_ws.next() == {"type": "authenticated", "userId": stranger.id}
            for client in (seller_ws, buyer_ws):
                assert (await subscribe(client, "me"))[0]["orders"] == []
            await subscribe(stranger_ws, "me", "tickets")

            ticket = await seller.sell(price=4_200)
            first = await place_order(buyer, ticket["id"])
            for client in (seller_ws, buyer_ws):
                created = await client.until("order.created", orderId=first["id"])
                assert created["order"]["buyerId"] == buyer.id
                assert created["order"]["sellerId"] == seller.id
                assert created["order"]["expiresAtMs"] == first["expiresAtMs"]
            cancelled = await buyer.http.delete(f"/api/orders/{first['id']}")
            assert cancelled.status_code == 200, cancelled.text
            for client in (seller_ws, buyer_ws):
                await client.until("order.cancelled", orderId=first["id"])

            # The same ticket is refused to them for the re-hold cooldown (fair holds);
            # they order another one and pay this time.
            again = await buyer.buy(ticket["id"])
            assert again.status_code == 429, again.text
            other = await seller.sell(price=4_300)
            second_id = (await place_order(buyer, other["id"]))["id"]
            assert (await buyer.pay(second_id)).status_code == 201
            for client in (seller_ws, buyer_ws):
                await client.until("order.completed", orderId=second_id)

            # Markers: a listing by each of them after all of it, which each one's "me"
            # and the stranger's "tickets" carry.
            markers = [await seller.sell(title="Marker"), await buyer.sell(title="Marker")]
            await seller_ws.until("ticket.listed", ticketId=markers[0]["id"])
            await buyer_ws.until("ticket.listed", ticketId=markers[1]["id"])
            await read_until(
                stranger_ws,
                lambda _: {m["id"] for m in markers} <= set(listed_ids(stranger_ws.seen)),
            )
            assert order_messages(stranger_ws) == Counter()
            assert [m["orders"] for m in stranger_ws.seen if m.get("topic") == "me"] == [[]]
            expected = Counter(
                {
                    ("order.created", first["id"]): 1,
                    ("order.cancelled", first["id"]): 1,
                    ("order.created", second_id): 1,
                    ("order.completed", second_id): 1,
                }
            )
            assert order_messages(seller_ws) == expected
            assert order_messages(buyer_ws) == expected
        finally:
            for client in clients:
                await client.close()

        # Fresh snapshots of "me": the buyer's orders for the buyer, none for the stranger.
        buyer_again = await open_with_cookie(stack.url, session_cookie(buyer))
        stranger_again = await LiveClient.open(stack.url, token=await bearer_token(stranger))
        try:
            (mine,) = await subscribe(buyer_again, "me")
            statuses = {order["id"]: order["status"] for order in mine["orders"]}
            assert statuses == {first["id"]: "cancelled", second_id: "complete"}
            (theirs,) = await subscribe(stranger_again, "me")
            assert theirs["orders"] == []
        finally:
            await buyer_again.close()
            await stranger_again.close()


# -- 6. the lock's deadline, as watchers see it --------------------------------------------
@pytest.fixture
async def short_lock_stack(market_settings: Settings) -> AsyncIterator[Stack]:
    settings = market_settings.model_copy(update={"lock_ttl_seconds": 2.0})
    async with running_stack(settings, only=EXPIRY_SERVICES) as running:
        yield running


# Redis counts a key's TTL from its own whole-millisecond clock.
CLOCK_SLACK_MS = 2
UNLOCK_WITHIN_MS = 1_000


async def test_market_hears_of_an_unpaid_lock_ending_within_a_second_of_its_deadline(
    short_lock_stack: Stack,
) -> None:
    url = short_lock_stack.url
    async with User(url, "seller") as seller, User(url, "buyer") as buyer:
        watcher = await LiveClient.open(url)
        try:
            await subscribe(watcher, "tickets")
            ticket = await seller.sell()
            order = await place_order(buyer, ticket["id"])
            deadline_ms = order["expiresAtMs"]
            locked = await watcher.until("ticket.locked", ticketId=ticket["id"])
            assert locked["lockedUntilMs"] == deadline_ms
            unlocked = await watcher.until("ticket.unlocked", ticketId=ticket["id"])
            # Both clocks are this machine's wall clock: the deadline the server computed
            # and the moment the frame reached us.
            received_ms = time.time() * 1000
            assert unlocked["ticket"]["status"] == "available"
            assert deadline_ms - CLOCK_SLACK_MS <= received_ms, "unlocked before the deadline"
            assert received_ms <= deadline_ms + UNLOCK_WITHIN_MS, (
                f"ticket.unlocked {received_ms - deadline_ms:.0f} ms after the deadline"
            )
        finally:
            await watcher.close()


# -- 7. snapshot, then live: no gap, no repeat ---------------------------------------------
async def test_watchers_subscribing_while_tickets_are_listed_learn_of_each_exactly_once(
    listing_stack: Stack, redis: Redis, keys: RedisKeys
) -> None:
    url = listing_stack.url
    per_seller = 8
    async with User(url, "alice") as alice, User(url, "bob") as bob, User(url, "carol") as carol:
        sellers = [alice, bob, carol]
        listed: list[str] = []

        async def sell_all(seller: User) -> None:
            for i in range(per_seller):
                listed.append((await seller.sell(title=f"Seat {i}"))["id"])

        selling = asyncio.gather(*(sell_all(seller) for seller in sellers))
        watchers: list[LiveClient] = []
        try:
            # Watchers join one by one while the three sellers list concurrently.
            for joined_after in (0, 4, 8, 12, 16):
                await eventually(
                    lambda: journal_cursor(redis, keys),
                    functools.partial(operator.le, joined_after),
                    20.0,
                )
                watcher = await LiveClient.open(url)
                watchers.append(watcher)
                await watcher.subscribe("tickets")
            await selling
            marker = (await alice.sell(title="Marker"))["id"]
            for watcher in watchers:
                seen = await read_until(watcher, lambda m: m.get("ticketId") == marker, 20.0)
                (snapshot,) = [m for m in seen if m["type"] == "snapshot"]
                later = [m for m in seen if m["type"] == "ticket.listed"]
                assert all(m["cursor"] > snapshot["cursor"] for m in later)
                assert sorted(listed_ids(seen)) == sorted([*listed, marker])
        finally:
            if not selling.done():
                selling.cancel()
            await asyncio.gather(selling, return_exceptions=True)
            for watcher in watchers:
                await watcher.close()


# A bound on the burst (8 watchers normally join within a few hundred messages), under
# the gateway's queue here: a watcher subscribed early reads nothing until all have
# joined, and must not be dropped as a slow consumer (backpressure is tested on its own).
BURST_MAX = 20_000


async def test_watchers_subscribing_during_a_burst_get_a_snapshot_then_every_later_message(
    settings: Settings, redis: Redis
) -> None:
    """The same at the journal's full speed, with the overlap certain: the burst goes on
    until every watcher has subscribed, and for 20 messages after."""
    journal = journal_of(redis, settings)
    roomy = settings.model_copy(update={"live_queue_size": 2 * BURST_MAX})
    async with live_replica(roomy) as url:
        watchers = [await LiveClient.open(url) for _ in range(8)]
        all_joined = asyncio.Event()
        at_cursor: dict[int, str] = {}

        async def burst() -> None:
            after = 0
            # Bounded: a watcher that never joins fails the test below, never hangs it.
            while after < 20 and len(at_cursor) < BURST_MAX:
                message = listing(f"Seat {len(at_cursor)}")
                at_cursor[await journal.append(message)] = message.ticket_id
                after += all_joined.is_set()

        bursting = asyncio.create_task(burst())
        try:
            snapshots = []
            for watcher in watchers:
                (snapshot,) = await subscribe(watcher, "tickets")
                snapshots.append(snapshot)
            all_joined.set()
            await bursting
            assert len(at_cursor) < BURST_MAX, "the burst ended before every watcher joined"
            last = max(at_cursor)
            for watcher, snapshot in zip(watchers, snapshots, strict=True):
                seen = await read_to_cursor(watcher, last)
                taken = snapshot["cursor"]
                assert taken < last
                # The snapshot is exactly the market at its cursor ...
                assert sorted(t["id"] for t in snapshot["tickets"]) == sorted(
                    ticket_id for cursor, ticket_id in at_cursor.items() if cursor <= taken
                )
                # ... and then every later message, once, in order.
                assert cursors(watcher.seen) == list(range(taken + 1, last + 1)), seen[-3:]
        finally:
            bursting.cancel()
            await asyncio.gather(bursting, return_exceptions=True)
            for watcher in watchers:
                await watcher.close()

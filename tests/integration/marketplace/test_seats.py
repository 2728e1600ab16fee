"""Seats sold together: the lock invariants of a k-seat order, on redis-server and on a
real Redis Cluster (a listing's seat keys share its hash tag), through the public API.

- A k-seat order holds all k seats or none; no seat is in two orders.
- The listing's split rule holds at every successful hold: ``pairs`` never leaves a single
  seat free, ``all`` sells the whole listing.
- Cancel, expiry and payment act on all k seats at once; the buyer's cap counts seats.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from backend.common.keys import RedisKeys

# The lock tests' fixtures (their stack, on redis-server and on a Redis Cluster), imported:
# ruff takes the parameters that name them for redefinitions.
# ruff: noqa: F811
from tests.integration.marketplace.test_lock_invariants import (  # noqa: F401 - fixtures
    SETTLE_S,
    Bot,
    cluster_url,
    crowd,
    known_bots,
    lock_ttl,
    market_settings,
    redis,
    settings,
    stack,
)
from tests.support.api import User, eventually, ticket_body
from tests.support.market import error_fields
from tests.support.stack import Stack

pytestmark = pytest.mark.integration


async def list_seats(
    seller: User, seats: list[str], split: str, price: int = 3_000
) -> dict[str, Any]:
    body = ticket_body(price, title="Block C", section="C", row="4") | {
        "seats": seats,
        "split": split,
    }
    response = await seller.http.post("/api/listings", json=body)
    assert response.status_code == 201, response.text
    listing: dict[str, Any] = response.json()

    async def known() -> httpx.Response:  # the orders service knows every seat
        return await seller.http.post(
            "/api/orders", json={"listingId": listing["id"], "quantity": 1}
        )

    await eventually(known, lambda r: r.status_code == 409 and "own" in r.text, timeout=SETTLE_S)
    return listing


async def order_seats(buyer: User, listing_id: str, quantity: int) -> httpx.Response:
    return await buyer.http.post(
        "/api/orders", json={"listingId": listing_id, "quantity": quantity}
    )


async def seat_holders(redis: Redis, keys: RedisKeys, listing: dict[str, Any]) -> dict[str, str]:
    """Each seat's lock holder in Redis (seat ticket id -> holder value), held ones only,
    read at one instant: in one script, whose clock Redis holds still (one ``GET`` after
    another once saw a lock expire between two seats locked to the same deadline). The
    seats' keys share the listing's slot, so this also runs on a Redis Cluster."""
    ids = [ticket["id"] for ticket in listing["tickets"]]
    locks = [keys.ticket_lock(ticket_id, listing["id"]) for ticket_id in ids]
    read = "local v = {} for i, k in ipairs(KEYS) do v[i] = redis.call('GET', k) or '' end return v"
    values = await redis.eval(read, len(locks), *locks)  # type: ignore[misc]  # sync|async stubs
    return {
        ticket_id: value.decode() if isinstance(value, bytes) else str(value)
        for ticket_id, value in zip(ids, values, strict=True)
        if value
    }


async def test_two_seats_are_held_paid_and_sold_together(stack: Stack) -> None:
    async with Bot(stack.url, "seller") as seller, Bot(stack.url, "buyer") as buyer:
        listing = await list_seats(seller, ["1", "2", "3", "4"], "pairs")
        assert [t["seat"] for t in listing["tickets"]] == ["1", "2", "3", "4"]
        assert {t["listingId"] for t in listing["tickets"]} == {listing["id"]}
        answer = await order_seats(buyer, listing["id"], 2)
        assert answer.status_code == 201, answer.text
        order = answer.json()
        assert len(order["ticketIds"]) == 2 and order["listingId"] == listing["id"]
        assert order["price"] == {"amount": 6_000, "currency": "usd"}
        for ticket_id in order["ticketIds"]:  # both locked, with one deadline
            locked = await eventually(
                lambda t=ticket_id: buyer.ticket(t),  # type: ignore[misc]
                lambda t: t["status"] == "locked",
                timeout=SETTLE_S,
            )
            assert locked["lockedUntilMs"] == order["expiresAtMs"]
        paid = await eventually(
            lambda: buyer.pay(order["id"]), lambda r: r.status_code != 404, timeout=SETTLE_S
        )
        assert paid.status_code == 201, paid.text
        assert paid.json()["amount"] == {"amount": 6_000, "currency": "usd"}
        for ticket_id in order["ticketIds"]:
            sold = await eventually(
                lambda t=ticket_id: buyer.ticket(t),  # type: ignore[misc]
                lambda t: t["status"] == "sold",
                timeout=SETTLE_S,
            )
            assert sold["ownerId"] == buyer.id


async def test_splits_the_rule_forbids_are_refused_with_the_reason(stack: Stack) -> None:
    async with Bot(stack.url, "seller") as seller, Bot(stack.url, "buyer") as buyer:
        pairs = await list_seats(seller, ["1", "2", "3"], "pairs")
        single = await order_seats(buyer, pairs["id"], 2)  # would leave seat 3 alone
        assert error_fields(single, 409) == ["quantity"], single.text
        assert "single seat" in single.text
        whole = await list_seats(seller, ["7", "8"], "all")
        part = await order_seats(buyer, whole["id"], 1)
        assert error_fields(part, 409) == ["listingId"], part.text
        too_many = await order_seats(buyer, pairs["id"], 4)
        assert error_fields(too_many, 409) == ["quantity"], too_many.text
        by_ticket = await buyer.buy(pairs["tickets"][0]["id"])  # a seat alone: by its listing
        assert error_fields(by_ticket, 409) == ["ticketId"], by_ticket.text
        unknown = await order_seats(buyer, "0123456789abcdef01234567", 2)
        assert error_fields(unknown, 404) == ["listingId"]
        bad = await buyer.http.post("/api/orders", json={"listingId": pairs["id"], "quantity": 0})
        assert error_fields(bad, 400) == ["quantity"]
        assert (await order_seats(buyer, whole["id"], 2)).status_code == 201
        # The cap (MAX_OPEN_ORDERS_PER_USER, 4) counts seats: 2 held, 3 more is too many.
        capped = await order_seats(buyer, pairs["id"], 3)
        assert error_fields(capped, 409) == ["listingId"], capped.text
        assert "You already hold 2 tickets" in capped.text
        async with Bot(stack.url, "other") as other:
            assert (await order_seats(other, pairs["id"], 3)).status_code == 201  # all three


async def test_cancelling_a_seats_order_frees_every_seat_at_once(
    stack: Stack, redis: Redis, keys: RedisKeys
) -> None:
    async with Bot(stack.url, "seller") as seller, Bot(stack.url, "buyer") as buyer:
        listing = await list_seats(seller, ["1", "2", "3", "4"], "any")
        order = (await order_seats(buyer, listing["id"], 3)).json()
        assert len(await seat_holders(redis, keys, listing)) == 3
        cancelled = await buyer.http.delete(f"/api/orders/{order['id']}")
        assert cancelled.status_code == 200, cancelled.text
        assert await seat_holders(redis, keys, listing) == {}
        for ticket_id in order["ticketIds"]:
            await eventually(
                lambda t=ticket_id: buyer.ticket(t),  # type: ignore[misc]
                lambda t: t["status"] == "available",
                timeout=SETTLE_S,
            )


@pytest.mark.parametrize("lock_ttl", [2.0])
async def test_an_unpaid_seats_order_expires_and_frees_every_seat(
    stack: Stack, redis: Redis, keys: RedisKeys
) -> None:
    async with Bot(stack.url, "seller") as seller, Bot(stack.url, "buyer") as buyer:
        listing = await list_seats(seller, ["1", "2"], "all")
        order = (await order_seats(buyer, listing["id"], 2)).json()
        assert len(await seat_holders(redis, keys, listing)) == 2
        while await seat_holders(redis, keys, listing):  # both go at the same moment
            assert len(await seat_holders(redis, keys, listing)) in (0, 2)
            await asyncio.sleep(0.02)
        seconds, micros = await redis.time()
        now_ms = seconds * 1000 + micros // 1000
        assert now_ms - order["expiresAtMs"] < 1_000  # within a second of the deadline
        expired = await eventually(
            lambda: buyer.order(order["id"]), lambda o: o["status"] == "expired", timeout=SETTLE_S
        )
        assert expired["cancelReason"] == "expired"
        for ticket_id in order["ticketIds"]:
            await eventually(
                lambda t=ticket_id: buyer.ticket(t),  # type: ignore[misc]
                lambda t: t["status"] == "available",
                timeout=SETTLE_S,
            )
        async with Bot(stack.url, "next") as following:  # the whole listing is for sale again
            assert (await order_seats(following, listing["id"], 2)).status_code == 201


async def test_two_hundred_buyers_race_for_a_ten_seat_pairs_listing(
    stack: Stack, redis: Redis, keys: RedisKeys
) -> None:
    """Buyers ask 1, 2 or 4 seats at once: no seat in two orders, every order holds all
    its seats, and no successful hold left a single seat free."""
    async with (
        Bot(stack.url, "seller") as seller,
        crowd(stack.url, "racer", 200) as racers,
    ):
        listing = await list_seats(seller, [str(n) for n in range(1, 11)], "pairs")
        rng = random.Random(15)
        asks = [rng.choice([1, 2, 4]) for _ in racers]
        answers = await asyncio.gather(
            *(order_seats(racer, listing["id"], k) for racer, k in zip(racers, asks, strict=True))
        )
        statuses = Counter(a.status_code for a in answers)
        assert set(statuses) <= {201, 409}, [a.text for a in answers if a.status_code >= 500]
        won = [
            (racer, k, a.json())
            for racer, k, a in zip(racers, asks, answers, strict=True)
            if a.status_code == 201
        ]
        assert won, statuses
        held_by = Counter(t for _, _, order in won for t in order["ticketIds"])
        assert all(count == 1 for count in held_by.values()), held_by  # no seat twice
        assert all(len(order["ticketIds"]) == k for _, k, order in won)  # all k, never part
        holders = await seat_holders(redis, keys, listing)
        for _, _, order in won:
            assert {holders.get(t) for t in order["ticketIds"]} == {f"order:{order['id']}"}
        assert set(holders) == set(held_by)  # nothing held by anyone else
        assert 10 - len(holders) != 1  # never a single seat left free
        for a in answers:
            if a.status_code == 409:
                assert error_fields(a, 409) in (["quantity"], ["listingId"]), a.text


async def test_price_edits_racing_seat_holds_never_interleave(stack: Stack) -> None:
    """The seller re-prices every seat while buyers hold two at a time: an edit commits
    before a hold or is refused (409) while it lasts, so every order costs exactly what
    its seats are priced at."""
    async with (
        Bot(stack.url, "seller") as seller,
        crowd(stack.url, "pair", 6) as buyers,
    ):
        listing = await list_seats(seller, [str(n) for n in range(1, 13)], "any", price=1_000)
        seats = [t["id"] for t in listing["tickets"]]
        edits = [
            seller.edit(seat, price={"amount": 2_000 + i, "currency": "usd"})
            for i, seat in enumerate(seats)
        ]
        orders = [order_seats(buyer, listing["id"], 2) for buyer in buyers]
        answers = await asyncio.gather(*edits, *orders)
        edited, ordered = answers[: len(edits)], answers[len(edits) :]
        assert {a.status_code for a in edited} <= {200, 409}, [a.text for a in edited]
        assert {a.status_code for a in ordered} <= {201, 409}, [a.text for a in ordered]
        won = [a.json() for a in ordered if a.status_code == 201]
        assert won
        for order in won:
            prices = [(await seller.ticket(t))["price"]["amount"] for t in order["ticketIds"]]
            assert order["price"]["amount"] == sum(prices), (order, prices)


async def test_an_event_page_lists_what_can_be_bought_that_many_together(stack: Stack) -> None:
    async with Bot(stack.url, "seller") as seller, Bot(stack.url, "buyer") as buyer:
        listing = await list_seats(seller, ["1", "2", "3"], "pairs")
        single = await seller.sell(2_500)  # the same (default) event
        event_id = single["event"]["id"]

        async def listed(quantity: int) -> set[str]:
            response = await buyer.http.get(
                f"/api/events/{event_id}", params={"quantity": quantity}
            )
            assert response.status_code == 200, response.text
            return {t["id"] for t in response.json()["listings"]}

        seats = {t["id"] for t in listing["tickets"]}
        await eventually(lambda: listed(1), lambda got: got == seats | {single["id"]})
        assert await listed(2) == set()  # two of three pairs seats would leave one
        assert await listed(3) == seats
        assert await listed(4) == set()

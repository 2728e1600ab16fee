"""The events catalogue through the gateway: one event per happening (duplicates merged,
also when created at once), listings by price, availability kept current from the
tickets, search, and an operator's postpone and cancel — with a cancelled event's holds
ended at once and its tickets void."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from backend.common.holds import Holds
from backend.common.keys import RedisKeys
from backend.common.settings import Settings
from backend.orders import service as order_service
from tests.support.api import User, eventually
from tests.support.events import (
    as_operator,
    create_event,
    event,
    event_body,
    in_days,
    list_ticket,
    listing,
)
from tests.support.market import buy_outright, error_fields, place_order
from tests.support.rest_stack import REST_SERVICES, SignUp
from tests.support.stack import running_stack

pytestmark = pytest.mark.integration


# -- one event per happening -------------------------------------------------------------------
async def test_a_duplicate_event_is_the_same_event_however_it_is_written(seller: User) -> None:
    first = await create_event(seller, event_body("Rock Night"))
    again = event_body("  ROCK   night! ")
    again["venue"] = {"name": "arena", "city": "LYON"}
    assert (await create_event(seller, again, status=200))["id"] == first["id"]
    later = await create_event(seller, event_body("Rock Night", days=11))
    assert later["id"] != first["id"]


async def test_twenty_sellers_creating_one_event_at_once_make_one_event(
    seller: User, buyer: User, other: User, anonymous: httpx.AsyncClient
) -> None:
    body = event_body("Cup Final", days=20)
    tickets = await asyncio.gather(
        *(
            list_ticket(user, {"title": "Seat", "event": body, "price": {"amount": 1_000 + i}})
            for i, user in enumerate([seller, buyer, other] * 7)
        )
    )
    assert len({t["event"]["id"] for t in tickets}) == 1
    page = (await anonymous.get("/api/events", params={"q": "Cup Final"})).json()
    assert page["total"] == 1
    detail = await eventually(
        lambda: event(anonymous, tickets[0]["event"]["id"]),
        lambda e: e["availability"]["available"] == 21,
    )
    assert [t["price"]["amount"] for t in detail["listings"]] == sorted(
        1_000 + i for i in range(21)
    )
    assert detail["availability"]["minPrice"] == {"amount": 1_000, "currency": "usd"}


async def test_a_ticket_needs_exactly_one_event_and_a_real_one(seller: User) -> None:
    body = listing("0123456789abcdef01234567", 1_000)
    assert error_fields(await seller.http.post("/api/tickets", json=body), 404) == ["eventId"]
    both = body | {"event": event_body()}
    assert (await seller.http.post("/api/tickets", json=both)).status_code == 400
    neither = {"title": "Seat", "price": {"amount": 1_000, "currency": "usd"}}
    assert (await seller.http.post("/api/tickets", json=neither)).status_code == 400
    bad_zone = event_body() | {"venue": {"name": "A", "city": "B", "timeZone": "Mars/Base"}}
    assert error_fields(await seller.http.post("/api/events", json=bad_zone), 400) == [
        "venue.timeZone"
    ]
    doors_late = event_body() | {"doorsAt": in_days(12)}
    assert (await seller.http.post("/api/events", json=doors_late)).status_code == 400


# -- listings and availability -------------------------------------------------------------------
async def test_listings_are_sorted_by_price_filtered_and_counted_as_they_lock_and_sell(
    seller: User, buyer: User, anonymous: httpx.AsyncClient
) -> None:
    rock = await create_event(seller, event_body())
    cheap = await list_ticket(seller, listing(rock["id"], 2_000, section="B"))
    dear = await list_ticket(seller, listing(rock["id"], 9_000, section="A"))
    mid = await list_ticket(seller, listing(rock["id"], 5_000, section="A"))
    detail = await eventually(
        lambda: event(anonymous, rock["id"]), lambda e: e["availability"]["available"] == 3
    )
    assert [t["id"] for t in detail["listings"]] == [cheap["id"], mid["id"], dear["id"]]
    assert detail["listings"][0]["event"]["id"] == rock["id"]
    section_a = await event(anonymous, rock["id"], section="a")
    assert [t["id"] for t in section_a["listings"]] == [mid["id"], dear["id"]]
    capped = await event(anonymous, rock["id"], maxPrice=5_000)
    assert [t["id"] for t in capped["listings"]] == [cheap["id"], mid["id"]]

    await place_order(buyer, cheap["id"])
    locked = await eventually(
        lambda: event(anonymous, rock["id"]), lambda e: e["availability"]["locked"] == 1
    )
    assert locked["availability"] | {"minPrice": None} == {
        "available": 2, "locked": 1, "sold": 0, "minPrice": None,
    }  # fmt: skip
    assert locked["availability"]["minPrice"]["amount"] == 5_000  # the locked one is not for sale
    await buy_outright(buyer, mid["id"])
    sold = await eventually(
        lambda: event(anonymous, rock["id"]), lambda e: e["availability"]["sold"] == 1
    )
    assert sold["availability"]["available"] == 1
    assert [t["id"] for t in sold["listings"]] == [cheap["id"], dear["id"]]  # held and for sale


async def test_search_by_text_kind_city_dates_and_sorts(
    seller: User, buyer: User, anonymous: httpx.AsyncClient
) -> None:
    rock = await create_event(seller, event_body("Rock Night", days=10))
    final = await create_event(
        seller,
        event_body("Cup Final", days=20, kind="sport", performers=["Reds", "Blues"])
        | {"venue": {"name": "Stadium", "city": "Paris"}},
    )
    gala = await create_event(
        seller, event_body("Comedy Gala", days=5, kind="comedy", performers=["Ada Laugh"])
    )
    await list_ticket(seller, listing(final["id"], 9_000))
    await list_ticket(seller, listing(rock["id"], 3_000))
    sold = await list_ticket(seller, listing(final["id"], 8_000))
    await buy_outright(buyer, sold["id"])

    async def ids(**params: Any) -> list[str]:
        response = await anonymous.get("/api/events", params=params)
        assert response.status_code == 200, response.text
        return [e["id"] for e in response.json()["items"]]

    assert await ids() == [gala["id"], rock["id"], final["id"]]  # by date
    assert await ids(q="blues") == [final["id"]]  # a performer
    assert await ids(q="stadium") == [final["id"]]  # a venue
    assert await ids(q="ada") == [gala["id"]]
    assert await ids(kind="comedy") == [gala["id"]]
    assert await ids(city="paris") == [final["id"]]
    assert await ids(city="par") == []  # a city is matched whole
    assert await ids(startsAfter=in_days(7), startsBefore=in_days(15)) == [rock["id"]]
    await eventually(lambda: ids(sort="popularity"), lambda got: got[0] == final["id"])
    await eventually(lambda: ids(sort="price"), lambda got: got == [rock["id"], final["id"]])
    bad = await anonymous.get("/api/events", params={"sort": "random", "pageSize": "0"})
    assert sorted(f or "" for f in error_fields(bad, 400)) == ["pageSize", "sort"]


# -- an operator postpones and cancels -------------------------------------------------------------
async def test_only_an_operator_changes_an_event_and_its_tickets_follow(
    seller: User, buyer: User, other: User, market_settings: Settings
) -> None:
    rock = await create_event(seller, event_body())
    ticket = await list_ticket(seller, listing(rock["id"], 4_000))
    refused = await seller.http.post(
        f"/api/events/{rock['id']}/status", json={"status": "cancelled"}
    )
    assert refused.status_code == 403, refused.text  # not even the event's creator

    operator = await as_operator(market_settings, other)
    new_date = in_days(40)
    moved = await operator.http.post(
        f"/api/events/{rock['id']}/status", json={"status": "postponed", "startsAt": new_date}
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["status"] == "postponed"
    followed = await eventually(
        lambda: buyer.ticket(ticket["id"]), lambda t: t["event"]["status"] == "postponed"
    )
    assert followed["status"] == "available"  # a postponed event's tickets stay valid
    assert datetime.fromisoformat(followed["event"]["startsAt"]) == datetime.fromisoformat(new_date)
    await place_order(buyer, ticket["id"])  # and can be bought


async def test_cancelling_an_event_ends_its_holds_at_once_and_voids_its_tickets(
    seller: User, buyer: User, other: User, market_settings: Settings
) -> None:
    operator = await as_operator(market_settings, other)
    rock = await create_event(seller, event_body())
    free = await list_ticket(seller, listing(rock["id"], 3_000))
    held = await list_ticket(seller, listing(rock["id"], 4_000))
    sold = await list_ticket(seller, listing(rock["id"], 5_000))
    await buy_outright(buyer, sold["id"])
    order = await place_order(buyer, held["id"])

    cancelled = await operator.http.post(
        f"/api/events/{rock['id']}/status", json={"status": "cancelled"}
    )
    assert cancelled.status_code == 200, cancelled.text
    ended = await eventually(lambda: buyer.order(order["id"]), lambda o: o["status"] != "created")
    assert (ended["status"], ended["cancelReason"]) == ("cancelled", "event_cancelled")
    # Sold ones too: no longer valid at the door (their buyers are refunded).
    for ticket_id, status in ((free["id"], "void"), (held["id"], "void"), (sold["id"], "void")):
        after = await eventually(
            lambda ticket_id=ticket_id: buyer.ticket(ticket_id),  # type: ignore[misc]
            lambda t: t["event"]["status"] == "cancelled",
        )
        assert after["status"] == status, ticket_id
    # Nothing of it can be bought or listed any more, and cancelled is final.
    assert error_fields(await buyer.buy(free["id"]), 409) == ["ticketId"]
    again = await seller.http.post("/api/tickets", json=listing(rock["id"], 1_000))
    assert error_fields(again, 409) == ["eventId"]
    reopen = await operator.http.post(
        f"/api/events/{rock['id']}/status", json={"status": "scheduled"}
    )
    assert reopen.status_code == 409, reopen.text
    # The availability is counted by the next recount round after the tickets' facts.
    none_left = {"available": 0, "locked": 0, "sold": 0, "minPrice": None}
    detail = await eventually(
        lambda: event(buyer.http, rock["id"]), lambda e: e["availability"] == none_left
    )
    assert detail["status"] == "cancelled"
    assert detail["listings"] == []
    mine = (await seller.http.get("/api/tickets/mine")).json()["items"]
    assert {t["id"]: t["status"] for t in mine} == {
        free["id"]: "void", held["id"]: "void", sold["id"]: "void",
    }  # fmt: skip


async def test_buyers_racing_a_cancellation_are_left_holding_nothing(
    sign_up: SignUp,
    seller: User,
    other: User,
    market_settings: Settings,
    redis: Redis,
    keys: RedisKeys,
) -> None:
    """Six buyers order each of eight tickets at once while the operator cancels the
    event: whichever way each race goes, once it settles no ticket is locked or for sale,
    no order is still open, and no buyer holds anything."""
    operator = await as_operator(market_settings, other)
    rock = await create_event(seller, event_body())
    tickets = [(await list_ticket(seller, listing(rock["id"], 1_000 + i)))["id"] for i in range(8)]
    buyers = [await sign_up(f"racer{i}") for i in range(6)]

    async def cards() -> int:  # the orders service knows every ticket before the race
        return int(await redis.exists(*(keys.ticket_card(t) for t in tickets)))

    await eventually(cards, lambda known: known == len(tickets))

    async def cancel() -> httpx.Response:
        await asyncio.sleep(0.02)
        return await operator.http.post(
            f"/api/events/{rock['id']}/status", json={"status": "cancelled"}
        )

    tries = [(buyer, ticket_id) for buyer in buyers for ticket_id in tickets]
    *answers, cancelled = await asyncio.gather(*(b.buy(t) for b, t in tries), cancel())
    assert cancelled.status_code == 200, cancelled.text
    assert {a.status_code for a in answers} <= {201, 409, 429}, [a.text for a in answers]
    won = [
        (b, a.json()["id"])
        for (b, _), a in zip(tries, answers, strict=True)
        if a.status_code == 201
    ]
    for buyer, order_id in won:
        ended = await eventually(
            lambda b=buyer, o=order_id: b.order(o),  # type: ignore[misc]
            lambda o: o["status"] != "created",
            30,
        )
        assert ended["cancelReason"] == "event_cancelled", ended
    for ticket_id in tickets:
        after = await eventually(
            lambda t=ticket_id: seller.ticket(t),  # type: ignore[misc]
            lambda t: t["status"] == "void",
            30,
        )
        assert after["lockedUntil"] is None
        assert await redis.get(keys.ticket_lock(ticket_id)) is None
    for buyer in buyers:
        assert await Holds(redis, keys).open_count(buyer.id) == 0


async def test_an_order_made_while_its_event_is_cancelled_ends_at_once(
    seller: User,
    buyer: User,
    other: User,
    market_settings: Settings,
    redis: Redis,
    keys: RedisKeys,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The order is past its lock but not yet recorded when the cancellation reaches the
    orders service (which finds no open order then): it is refused once recorded, and
    nothing of it stays held or can be paid."""
    operator = await as_operator(market_settings, other)
    rock = await create_event(seller, event_body())
    ticket = await list_ticket(seller, listing(rock["id"], 3_000))
    await eventually(lambda: redis.exists(keys.ticket_card(ticket["id"])), bool)
    paused, resume = asyncio.Event(), asyncio.Event()
    real_terms = order_service.committed_terms

    async def held_back(*args: Any, **kwargs: Any) -> Any:  # priced, then held back
        read = await real_terms(*args, **kwargs)
        paused.set()
        await resume.wait()
        return read

    monkeypatch.setattr(order_service, "committed_terms", held_back)
    attempt = asyncio.create_task(buyer.buy(ticket["id"]))
    await asyncio.wait_for(paused.wait(), 10)
    cancelled = await operator.http.post(
        f"/api/events/{rock['id']}/status", json={"status": "cancelled"}
    )
    assert cancelled.status_code == 200, cancelled.text

    async def card_status() -> object:
        return await redis.hget(keys.ticket_card(ticket["id"]), "status")  # type: ignore[misc]  # redis-py 7 stubs: sync|async union

    await eventually(card_status, lambda status: status == "void")
    resume.set()
    answer = await attempt
    assert error_fields(answer, 409) == ["ticketId"], answer.text
    assert "event is cancelled" in answer.text
    orders = (await buyer.http.get("/api/orders")).json()["items"]
    assert [(o["status"], o["cancelReason"]) for o in orders] == [("cancelled", "event_cancelled")]
    assert await redis.get(keys.ticket_lock(ticket["id"])) is None
    assert await Holds(redis, keys).open_count(buyer.id) == 0
    paid = await buyer.pay(orders[0]["id"])
    assert paid.status_code == 409, paid.text


async def test_new_events_are_rate_limited_and_merges_are_not(market_settings: Settings) -> None:
    """A user creates at most EVENT_CREATES_PER_USER new events an hour (here 2); finding
    an existing one costs nothing. Names of symbols alone stay apart."""
    limited = market_settings.model_copy(update={"event_creates_per_user": 2})
    async with (
        running_stack(limited, only=REST_SERVICES) as running,
        User(running.url, "seller") as seller,
    ):
        await create_event(seller, event_body("!!!"))
        await create_event(seller, event_body("..."))  # not the same event as "!!!"
        third = await seller.http.post("/api/events", json=event_body("Third"))
        assert third.status_code == 429, third.text
        assert "Retry-After" in third.headers
        again = await seller.http.post("/api/events", json=event_body("..."))
        assert again.status_code == 200, again.text  # the existing one: free


async def test_a_cancelled_event_frees_its_identity_and_its_sold_tickets_become_void(
    seller: User, buyer: User, other: User, market_settings: Settings
) -> None:
    operator = await as_operator(market_settings, other)
    squatted = await create_event(seller, event_body("Big Show", kind="comedy"))
    sold = await list_ticket(seller, listing(squatted["id"], 2_000))
    await buy_outright(buyer, sold["id"])
    cancelled = await operator.http.post(
        f"/api/events/{squatted['id']}/status", json={"status": "cancelled"}
    )
    assert cancelled.status_code == 200, cancelled.text
    real = await create_event(seller, event_body("Big Show"))
    assert real["id"] != squatted["id"] and real["kind"] == "concert"
    voided = await eventually(
        lambda: buyer.ticket(sold["id"]), lambda t: t["event"]["status"] == "cancelled"
    )
    assert voided["status"] == "void"  # no longer valid: its buyer is refunded
    assert voided["ownerId"] == buyer.id
    relist = await buyer.http.post(
        f"/api/tickets/{sold['id']}/relist", json={"price": {"amount": 9_000, "currency": "usd"}}
    )
    assert relist.status_code == 409, relist.text  # not sold again: its event is cancelled

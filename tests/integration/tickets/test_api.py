"""The tickets REST API through the gateway: listing with validation, search, show, edit
and "my tickets", against the running services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.support.api import User, eventually, ticket_body
from tests.support.market import buy_outright, error_fields, place_order

pytestmark = pytest.mark.integration

MISSING = object()


def _in_days(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def listing(
    title: str, *, kind: str, name: str, venue: str, days: float, price: int
) -> dict[str, Any]:
    return {
        "title": title,
        "event": {"name": name, "kind": kind, "venue": venue, "startsAt": _in_days(days)},
        "price": {"amount": price, "currency": "usd"},
    }


# A small market: title, event kind/name/venue, days until the event, price.
MARKET = {
    "rock": listing("Floor standing", kind="concert", name="Rock Night", venue="Arena",
                    days=10, price=3_000),
    "final": listing("Block 12", kind="sport", name="Cup Final", venue="Stadium",
                     days=20, price=9_000),
    "gala": listing("Balcony", kind="other", name="Comedy Gala", venue="Theatre",
                    days=5, price=5_000),
    "jazz": listing("Table for two", kind="concert", name="Jazz Evening", venue="Blue Note",
                    days=40, price=1_500),
}  # fmt: skip


async def list_market(seller: User) -> dict[str, str]:
    """List every ticket of ``MARKET``; returns name -> ticket id."""
    ids = {}
    for name, body in MARKET.items():
        response = await seller.http.post("/api/tickets", json=body)
        assert response.status_code == 201, response.text
        ids[name] = response.json()["id"]
    return ids


async def search(http: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await http.get("/api/tickets", params=params)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def names_of(page: dict[str, Any], ids: dict[str, str]) -> list[str]:
    by_id = {ticket_id: name for name, ticket_id in ids.items()}
    return [by_id.get(item["id"], item["id"]) for item in page["items"]]


def with_value(body: dict[str, Any], path: str, value: object) -> dict[str, Any]:
    """A copy of ``body`` with the dotted ``path`` set to ``value`` (or removed: MISSING)."""
    copy: dict[str, Any] = {**body, "event": {**body["event"]}, "price": {**body["price"]}}
    *parents, last = path.split(".")
    target = copy
    for part in parents:
        target = target[part]
    if value is MISSING:
        del target[last]
    else:
        target[last] = value
    return copy


# -- create ----------------------------------------------------------------------------


async def test_create_lists_an_available_ticket_owned_by_the_seller(seller: User) -> None:
    body = ticket_body(4_200, title="Pit", section="A", row="3", seat="17")
    response = await seller.http.post("/api/tickets", json=body)

    assert response.status_code == 201, response.text
    ticket = response.json()
    assert ticket["title"] == "Pit"
    assert ticket["event"]["kind"] == "concert"
    assert (ticket["section"], ticket["row"], ticket["seat"]) == ("A", "3", "17")
    assert ticket["price"] == {"amount": 4_200, "currency": "usd"}
    assert ticket["sellerId"] == ticket["ownerId"] == seller.id
    assert ticket["status"] == "available"
    assert ticket["version"] == 0
    assert ticket["lockedUntil"] is None
    shown = await seller.ticket(ticket["id"])
    assert (shown["title"], shown["price"], shown["status"]) == (
        "Pit",
        ticket["price"],
        "available",
    )


async def test_create_is_401_when_not_signed_in(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.post("/api/tickets", json=ticket_body())
    error_fields(response, 401)
    assert (await search(anonymous))["total"] == 0


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("title", "", "title"),
        ("title", "   ", "title"),
        ("title", MISSING, "title"),
        ("price.amount", 0, "price.amount"),
        ("price.amount", -500, "price.amount"),
        ("price.amount", 1_000_000_000, "price.amount"),
        ("price.amount", 49.99, "price.amount"),
        ("price.amount", 5000.0, "price.amount"),
        ("price.amount", True, "price.amount"),
        ("price.amount", "5000", "price.amount"),
        ("price.currency", "xyz", "price.currency"),
        ("event.startsAt", "2020-01-01T20:00:00+00:00", "event.startsAt"),
        ("event.startsAt", "2030-01-01T20:00:00", "event.startsAt"),
        ("event.startsAt", "next friday", "event.startsAt"),
        ("event.kind", "opera", "event.kind"),
        ("event.name", "", "event.name"),
        ("event.venue", MISSING, "event.venue"),
        ("section", "x" * 200, "section"),
        ("surprise", True, "surprise"),
    ],
    ids=[
        "empty-title",
        "blank-title",
        "missing-title",
        "zero-price",
        "negative-price",
        "absurd-price",
        "float-price",
        "integral-float-price",
        "boolean-price",
        "string-price",
        "unknown-currency",
        "event-in-the-past",
        "naive-start-time",
        "unparseable-start-time",
        "unknown-kind",
        "empty-event-name",
        "missing-venue",
        "long-section",
        "unknown-field",
    ],
)
async def test_create_is_400_with_the_field_when_input_is_invalid(
    seller: User, path: str, value: object, field: str
) -> None:
    body = with_value(ticket_body(), path, value)
    response = await seller.http.post("/api/tickets", json=body)

    assert error_fields(response, 400) == [field]
    mine = await seller.http.get("/api/tickets/mine")
    assert mine.json()["items"] == []


async def test_create_reports_every_bad_field_when_several_are_invalid(seller: User) -> None:
    body = with_value(with_value(ticket_body(), "title", ""), "event.kind", "opera")
    response = await seller.http.post("/api/tickets", json=body)

    assert sorted(f or "" for f in error_fields(response, 400)) == ["event.kind", "title"]


async def test_create_is_400_when_body_is_not_a_json_object(seller: User) -> None:
    not_json = await seller.http.post(
        "/api/tickets", content=b"{title", headers={"content-type": "application/json"}
    )
    a_list = await seller.http.post("/api/tickets", json=[ticket_body()])

    error_fields(not_json, 400)
    error_fields(a_list, 400)


# -- search ----------------------------------------------------------------------------


async def test_search_filters_by_event_kind(seller: User) -> None:
    ids = await list_market(seller)

    concerts = await search(seller.http, kind="concert")
    sport = await search(seller.http, kind="sport")

    assert sorted(names_of(concerts, ids)) == ["jazz", "rock"]
    assert concerts["total"] == 2
    assert names_of(sport, ids) == ["final"]
    assert all(item["event"]["kind"] == "sport" for item in sport["items"])


@pytest.mark.parametrize(
    ("q", "expected"),
    [("ARENA", ["rock"]), ("cup fin", ["final"]), ("balcony", ["gala"]), ("A", None)],
    ids=["venue", "event-name", "title", "common-letter"],
)
async def test_search_matches_text_in_title_event_name_or_venue(
    seller: User, q: str, expected: list[str] | None
) -> None:
    ids = await list_market(seller)

    page = await search(seller.http, q=q)

    # Every listing has an "a" somewhere (Arena, Final, Gala, Jazz): all match.
    assert sorted(names_of(page, ids)) == sorted(expected or ids)
    assert page["total"] == len(page["items"])


async def test_search_treats_text_literally_when_it_has_regex_characters(seller: User) -> None:
    await list_market(seller)

    assert (await search(seller.http, q=".*"))["total"] == 0
    assert (await search(seller.http, q="("))["total"] == 0


async def test_search_filters_by_event_date_range(seller: User) -> None:
    ids = await list_market(seller)

    window = await search(seller.http, startsAfter=_in_days(7), startsBefore=_in_days(30))
    later = await search(seller.http, startsAfter=_in_days(15))
    sooner = await search(seller.http, startsBefore=_in_days(15))

    assert sorted(names_of(window, ids)) == ["final", "rock"]
    assert sorted(names_of(later, ids)) == ["final", "jazz"]
    assert sorted(names_of(sooner, ids)) == ["gala", "rock"]


async def test_search_filters_by_price_range_with_inclusive_bounds(seller: User) -> None:
    ids = await list_market(seller)

    mid = await search(seller.http, minPrice=3_000, maxPrice=5_000)
    cheap = await search(seller.http, maxPrice=2_999)
    dear = await search(seller.http, minPrice=5_001)

    assert sorted(names_of(mid, ids)) == ["gala", "rock"]
    assert names_of(cheap, ids) == ["jazz"]
    assert names_of(dear, ids) == ["final"]


async def test_search_combines_filters(seller: User) -> None:
    ids = await list_market(seller)

    page = await search(seller.http, kind="concert", minPrice=2_000, q="night")

    assert names_of(page, ids) == ["rock"]
    assert page["total"] == 1


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("date", ["gala", "rock", "final", "jazz"]),
        ("price", ["jazz", "rock", "gala", "final"]),
        ("-price", ["final", "gala", "rock", "jazz"]),
        ("newest", ["jazz", "gala", "final", "rock"]),
        (None, ["gala", "rock", "final", "jazz"]),
    ],
    ids=["date", "price", "price-descending", "newest", "default-is-date"],
)
async def test_search_sorts_results(seller: User, sort: str | None, expected: list[str]) -> None:
    ids = await list_market(seller)

    page = await search(seller.http, **({} if sort is None else {"sort": sort}))

    assert names_of(page, ids) == expected


async def test_search_paginates_with_the_total_of_all_matches(seller: User) -> None:
    ids = await list_market(seller)

    pages = [await search(seller.http, sort="price", pageSize=3, page=n) for n in (1, 2, 3)]

    assert [p["total"] for p in pages] == [4, 4, 4]
    assert [(p["page"], p["pageSize"]) for p in pages] == [(1, 3), (2, 3), (3, 3)]
    assert names_of(pages[0], ids) == ["jazz", "rock", "gala"]
    assert names_of(pages[1], ids) == ["final"]
    assert pages[2]["items"] == []


async def test_search_by_default_shows_available_and_locked_but_not_sold(
    seller: User, buyer: User
) -> None:
    available = (await seller.sell(1_000))["id"]
    locked = (await seller.sell(2_000))["id"]
    sold = (await seller.sell(3_000))["id"]
    await place_order(buyer, locked)
    await buy_outright(buyer, sold)
    await eventually(lambda: seller.ticket(locked), lambda t: t["status"] == "locked")

    default = await search(seller.http)
    only_locked = await search(seller.http, status="locked")
    only_sold = await search(seller.http, status="sold")

    statuses = {item["id"]: item["status"] for item in default["items"]}
    assert statuses == {available: "available", locked: "locked"}
    assert default["total"] == 2
    assert [item["id"] for item in only_locked["items"]] == [locked]
    assert [item["id"] for item in only_sold["items"]] == [sold]


async def test_search_by_default_hides_an_event_once_it_has_started(seller: User) -> None:
    soon = listing("Last minute", kind="sport", name="Derby", venue="Park", days=0, price=900)
    starts_at = datetime.now(UTC) + timedelta(seconds=3)
    soon["event"]["startsAt"] = starts_at.isoformat()
    response = await seller.http.post("/api/tickets", json=soon)
    assert response.status_code == 201, response.text
    ticket_id = response.json()["id"]
    assert [i["id"] for i in (await search(seller.http))["items"]] == [ticket_id]

    page = await eventually(lambda: search(seller.http), lambda p: p["total"] == 0)

    assert datetime.now(UTC) >= starts_at
    assert page["items"] == []
    earlier = (starts_at - timedelta(minutes=1)).isoformat()
    still_there = await search(seller.http, startsAfter=earlier)
    assert [item["id"] for item in still_there["items"]] == [ticket_id]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sort": "cheapest"}, "sort"),
        ({"kind": "opera"}, "kind"),
        ({"status": "gone"}, "status"),
        ({"pageSize": "0"}, "pageSize"),
        ({"pageSize": "1000"}, "pageSize"),
        ({"page": "0"}, "page"),
        ({"minPrice": "-1"}, "minPrice"),
        ({"maxPrice": "ten"}, "maxPrice"),
        ({"startsAfter": "tomorrow"}, "startsAfter"),
    ],
    ids=lambda value: "-".join(value) if isinstance(value, dict) else str(value),
)
async def test_search_is_400_with_the_parameter_when_query_is_invalid(
    anonymous: httpx.AsyncClient, params: dict[str, str], field: str
) -> None:
    response = await anonymous.get("/api/tickets", params=params)

    assert error_fields(response, 400) == [field]


# -- show ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ticket_id",
    ["0123456789abcdef01234567", "not-an-id", "0123456789abcdef0123456z", "1"],
    ids=["unknown", "malformed", "non-hex", "short"],
)
async def test_show_is_404_when_id_is_unknown_or_malformed(seller: User, ticket_id: str) -> None:
    await seller.sell()

    response = await seller.http.get(f"/api/tickets/{ticket_id}")

    error_fields(response, 404)


async def test_show_needs_no_sign_in(seller: User, anonymous: httpx.AsyncClient) -> None:
    ticket = await seller.sell(6_100)

    response = await anonymous.get(f"/api/tickets/{ticket['id']}")

    assert response.status_code == 200, response.text
    assert response.json()["price"]["amount"] == 6_100


# -- edit ------------------------------------------------------------------------------


async def test_edit_changes_the_ticket_and_bumps_its_version(seller: User) -> None:
    ticket = await seller.sell(5_000)

    patched = await seller.edit(ticket["id"], price={"amount": 4_500, "currency": "eur"})
    assert patched.status_code == 200, patched.text
    put = await seller.http.put(
        f"/api/tickets/{ticket['id']}",
        json={"title": "Upper tier", "price": {"amount": 4_000, "currency": "usd"}},
    )
    assert put.status_code == 200, put.text

    assert patched.json()["version"] == ticket["version"] + 1
    assert patched.json()["price"] == {"amount": 4_500, "currency": "eur"}
    assert patched.json()["title"] == ticket["title"]  # PATCH keeps what it omits
    shown = await seller.ticket(ticket["id"])
    assert shown["version"] == ticket["version"] + 2
    assert (shown["title"], shown["price"]["amount"]) == ("Upper tier", 4_000)


async def test_edit_price_is_what_a_new_order_pays(seller: User, buyer: User) -> None:
    ticket = await seller.sell(5_000)
    edited = await seller.edit(ticket["id"], price={"amount": 3_300, "currency": "usd"})
    assert edited.status_code == 200, edited.text

    order = await place_order(buyer, ticket["id"])

    assert order["price"] == {"amount": 3_300, "currency": "usd"}


async def test_edit_is_403_when_user_is_not_the_owner(seller: User, other: User) -> None:
    ticket = await seller.sell(5_000)

    patch = await other.edit(ticket["id"], price={"amount": 1, "currency": "usd"})
    put = await other.http.put(f"/api/tickets/{ticket['id']}", json={"title": "Mine now"})

    error_fields(patch, 403)
    error_fields(put, 403)
    shown = await seller.ticket(ticket["id"])
    assert (shown["version"], shown["title"], shown["price"]) == (
        ticket["version"],
        ticket["title"],
        ticket["price"],
    )


async def test_edit_is_401_when_not_signed_in(seller: User, anonymous: httpx.AsyncClient) -> None:
    ticket = await seller.sell()

    response = await anonymous.patch(f"/api/tickets/{ticket['id']}", json={"title": "x"})

    error_fields(response, 401)


async def test_edit_is_404_when_ticket_is_unknown(seller: User) -> None:
    unknown = await seller.edit("0123456789abcdef01234567", title="x")
    malformed = await seller.edit("nope", title="x")

    error_fields(unknown, 404)
    error_fields(malformed, 404)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, None),
        ({"price": {"amount": 0, "currency": "usd"}}, "price.amount"),
        ({"price": {"amount": 10.5, "currency": "usd"}}, "price.amount"),
        ({"title": ""}, "title"),
        ({"status": "sold"}, "status"),
    ],
    ids=["nothing", "zero-price", "float-price", "empty-title", "read-only-field"],
)
async def test_edit_is_400_when_input_is_invalid(
    seller: User, body: dict[str, Any], field: str | None
) -> None:
    ticket = await seller.sell()

    response = await seller.edit(ticket["id"], **body)

    assert error_fields(response, 400) == [field]
    assert (await seller.ticket(ticket["id"]))["version"] == ticket["version"]


async def test_edit_is_409_when_ticket_is_locked_by_a_buyer(seller: User, buyer: User) -> None:
    ticket = await seller.sell(5_000)
    order = await place_order(buyer, ticket["id"])

    response = await seller.edit(ticket["id"], price={"amount": 9_999, "currency": "usd"})

    error_fields(response, 409)
    assert (await buyer.order(order["id"]))["price"]["amount"] == 5_000
    shown = await seller.ticket(ticket["id"])
    assert shown["price"]["amount"] == 5_000


async def test_edit_is_409_when_ticket_is_sold(seller: User, buyer: User) -> None:
    ticket = await seller.sell(5_000)
    await buy_outright(buyer, ticket["id"])

    by_new_owner = await buyer.edit(ticket["id"], price={"amount": 7_000, "currency": "usd"})
    by_old_seller = await seller.edit(ticket["id"], title="Still mine?")

    error_fields(by_new_owner, 409)
    error_fields(by_old_seller, 403)  # it is no longer theirs
    shown = await buyer.ticket(ticket["id"])
    assert (shown["status"], shown["price"]["amount"]) == ("sold", 5_000)


# -- mine ------------------------------------------------------------------------------


async def test_mine_lists_tickets_listed_and_tickets_bought(
    seller: User, buyer: User, other: User
) -> None:
    first = (await seller.sell(1_000))["id"]
    second = (await seller.sell(2_000))["id"]
    own = (await buyer.sell(3_000))["id"]
    elsewhere = (await other.sell(4_000))["id"]
    await buy_outright(buyer, first)

    async def mine(user: User) -> dict[str, str]:
        response = await user.http.get("/api/tickets/mine")
        assert response.status_code == 200, response.text
        return {item["id"]: item["status"] for item in response.json()["items"]}

    assert await mine(buyer) == {first: "sold", own: "available"}
    assert await mine(seller) == {first: "sold", second: "available"}
    assert await mine(other) == {elsewhere: "available"}


async def test_mine_lists_newest_first(seller: User) -> None:
    ids = [(await seller.sell(price))["id"] for price in (1_000, 2_000, 3_000)]

    response = await seller.http.get("/api/tickets/mine")

    assert [item["id"] for item in response.json()["items"]] == ids[::-1]


async def test_mine_is_401_when_not_signed_in(anonymous: httpx.AsyncClient) -> None:
    error_fields(await anonymous.get("/api/tickets/mine"), 401)

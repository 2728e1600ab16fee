"""All-in prices: with fees on, every price a buyer reads is the list price plus the buyer
fee, with its breakdown; the order locks that total and the card is charged it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from backend.common.settings import Settings
from tests.support.api import User, eventually, ticket_body
from tests.support.market import buy_outright, error_fields
from tests.support.rest_stack import REST_SERVICES
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.integration

FEES = {
    "buyer_fee_bps": 1_000,
    "buyer_fee_fixed_cents": 150,
    "seller_fee_bps": 500,
    "seller_fee_fixed_cents": 25,
}


@pytest.fixture
async def stack(market_settings: Settings) -> AsyncIterator[Stack]:
    async with running_stack(market_settings.model_copy(update=FEES), only=REST_SERVICES) as s:
        yield s


def cents(money: dict[str, object]) -> object:
    return money["amount"]


async def test_a_listing_shows_the_all_in_price_and_its_breakdown(seller: User) -> None:
    ticket = await seller.sell(5_000)
    assert cents(ticket["price"]) == 5_650  # $50.00 + 10 % + $1.50
    breakdown = ticket["breakdown"]
    assert [cents(breakdown[k]) for k in ("listPrice", "buyerFee", "sellerFee")] == [
        5_000,
        650,
        275,
    ]
    assert cents(breakdown["total"]) == 5_650
    assert cents(breakdown["proceeds"]) == 4_725


async def test_the_seller_sees_what_they_receive_before_listing(seller: User) -> None:
    response = await seller.http.get("/api/tickets/fees", params={"amount": 2_000})
    assert response.status_code == 200, response.text
    assert cents(response.json()["proceeds"]) == 1_875
    assert cents(response.json()["total"]) == 2_350
    bad_queries: list[dict[str, str | int]] = [
        {"amount": "abc"},
        {"amount": 0},
        {"amount": 100, "currency": "xyz"},
    ]
    for bad in bad_queries:
        assert error_fields(await seller.http.get("/api/tickets/fees", params=bad), 400)


async def test_search_filters_and_sorts_by_the_all_in_price(seller: User, buyer: User) -> None:
    cheap, dear = await seller.sell(1_000), await seller.sell(2_000)  # 1,250 and 2,350
    page = await buyer.http.get(
        "/api/tickets", params={"minPrice": 1_250, "maxPrice": 2_349, "sort": "price"}
    )
    assert [t["id"] for t in page.json()["items"]] == [cheap["id"]]
    page = await buyer.http.get("/api/tickets", params={"minPrice": 2_350})
    assert [t["id"] for t in page.json()["items"]] == [dear["id"]]


async def test_a_new_price_is_priced_again(seller: User) -> None:
    ticket = await seller.sell(5_000)
    edited = await seller.edit(ticket["id"], price={"amount": 10_000, "currency": "usd"})
    assert edited.status_code == 200, edited.text
    assert cents(edited.json()["price"]) == 11_150
    assert cents(edited.json()["breakdown"]["listPrice"]) == 10_000


async def test_the_order_locks_the_all_in_total_and_the_card_is_charged_it(
    seller: User, buyer: User
) -> None:
    ticket = await seller.sell(5_000)
    order = await buy_outright(buyer, ticket["id"])
    assert cents(order["price"]) == 5_650
    assert cents(order["breakdown"]["buyerFee"]) == 650
    payment = await buyer.http.get(f"/api/payments/{order['id']}")
    assert cents(payment.json()["amount"]) == 5_650


async def test_a_price_that_does_not_cover_the_seller_fee_is_refused(seller: User) -> None:
    response = await seller.http.post("/api/tickets", json=ticket_body(25))
    assert error_fields(response, 400) == ["price"]
    quote = await seller.http.get("/api/tickets/fees", params={"amount": 25})
    assert error_fields(quote, 400) == ["price"]


async def test_an_order_of_seats_locks_the_sum_of_their_all_in_prices(
    seller: User, buyer: User
) -> None:
    body = ticket_body(3_333, section="A", row="1") | {"seats": ["1", "2", "3"]}
    listing = await seller.http.post("/api/listings", json=body)
    assert listing.status_code == 201, listing.text
    each = listing.json()["tickets"][0]
    assert cents(each["price"]) == 3_333 + 333 + 150
    response = await eventually(
        lambda: buyer.http.post(
            "/api/orders", json={"listingId": listing.json()["id"], "quantity": 2}
        ),
        lambda r: r.status_code != 404,
    )
    assert response.status_code == 201, response.text
    order = response.json()
    assert cents(order["price"]) == 2 * (3_333 + 333 + 150)
    assert cents(order["breakdown"]["sellerFee"]) == 2 * (167 + 25)

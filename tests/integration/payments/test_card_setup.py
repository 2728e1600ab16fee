"""Card entry for browsers: a SetupIntent confirmed by Stripe.js, then the order paid with
the payment method it produced — the flow the web app uses on localstripe and real Stripe."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.support.api import User, eventually
from tests.support.market import error_fields, place_order

pytestmark = pytest.mark.integration

VISA = "4242424242424242"
DECLINED_CARD = "4000000000000341"


async def confirm_setup(stripe_url: str, setup: dict[str, Any], number: str) -> str:
    """What Stripe.js' confirmCardSetup does in the browser; returns the payment method."""
    seti = setup["clientSecret"].split("_secret_")[0]
    body = {
        "key": setup["publishableKey"],
        "client_secret": setup["clientSecret"],
        "payment_method_data": {
            "type": "card",
            "card": {"number": number, "exp_month": "12", "exp_year": "2034", "cvc": "123"},
        },
    }
    async with httpx.AsyncClient(base_url=stripe_url, timeout=30) as http:
        response = await http.post(f"/v1/setup_intents/{seti}/confirm", content=json.dumps(body))
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "succeeded"
    return str(response.json()["payment_method"])


async def card_setup(user: User) -> dict[str, Any]:
    response = await user.http.post("/api/payments/card-setup")
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_card_setup_gives_what_stripe_js_needs(buyer: User, stripe_url: str) -> None:
    setup = await card_setup(buyer)

    assert setup["clientSecret"].startswith("seti_")
    assert setup["publishableKey"].startswith("pk_")
    assert setup["stripeJsUrl"] == f"{stripe_url}/js.stripe.com/v3/"


async def test_a_card_entered_in_the_browser_pays_the_order(
    seller: User, buyer: User, stripe_url: str
) -> None:
    ticket = await seller.sell(price=4_200)
    order = await place_order(buyer, ticket["id"])
    method = await confirm_setup(stripe_url, await card_setup(buyer), VISA)

    paid = await buyer.pay(order["id"], method)

    assert paid.status_code == 201, paid.text
    assert paid.json()["status"] == "succeeded"
    assert paid.json()["amount"] == {"amount": 4_200, "currency": "usd"}

    async def status() -> str:
        shown = await buyer.http.get(f"/api/tickets/{ticket['id']}")
        return str(shown.json()["status"])

    await eventually(status, lambda value: value == "sold")


async def test_a_declined_card_entered_in_the_browser_cancels_the_order(
    seller: User, buyer: User, stripe_url: str
) -> None:
    ticket = await seller.sell()
    order = await place_order(buyer, ticket["id"])
    method = await confirm_setup(stripe_url, await card_setup(buyer), DECLINED_CARD)

    paid = await buyer.pay(order["id"], method)

    assert paid.status_code == 402, paid.text

    async def status() -> str:
        shown = await buyer.http.get(f"/api/orders/{order['id']}")
        return str(shown.json()["status"])

    await eventually(status, lambda value: value == "cancelled")


async def test_card_setup_needs_a_signed_in_user(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.post("/api/payments/card-setup")

    assert response.status_code == 401
    assert error_fields(response, 401) == [None]

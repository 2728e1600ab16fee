"""The payments REST API through the gateway, charging cards on localstripe: success,
decline (order cancelled, ticket unlocked), 3-D Secure, and never charging twice."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.support.api import User, eventually
from tests.support.market import error_fields, error_items, place_order
from tests.support.stack import Stack

pytestmark = pytest.mark.integration

SECRET_KEY = "sk_test_localstripe"
THREE_D_SECURE_CARD = "4000002500003155"
DECLINED = "pm_card_chargeCustomerFail"
UNKNOWN_ID = "0123456789abcdef01234567"


class LocalStripe:
    """What the tests read and do on localstripe directly (as Stripe.js or the dashboard)."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def card_method(self, number: str) -> str:
        response = await self.http.post(
            "/v1/payment_methods",
            data={
                "type": "card",
                "card[number]": number,
                "card[exp_month]": "12",
                "card[exp_year]": "2030",
                "card[cvc]": "123",
            },
        )
        assert response.status_code == 200, response.text
        return str(response.json()["id"])

    async def intents_for(self, order_id: str) -> list[dict[str, Any]]:
        """Every PaymentIntent created for an order (localstripe is shared by the session)."""
        found: list[dict[str, Any]] = []
        params: dict[str, str] = {"limit": "100"}
        while True:
            response = await self.http.get("/v1/payment_intents", params=params)
            assert response.status_code == 200, response.text
            page = response.json()
            found += [i for i in page["data"] if i["metadata"].get("orderId") == order_id]
            if not page["has_more"]:
                return found
            params["starting_after"] = page["data"][-1]["id"]

    async def authenticate(self, intent_id: str, client_secret: str) -> None:
        """The buyer passes the 3-D Secure challenge (what localstripe's Stripe.js does)."""
        response = await self.http.post(
            f"/v1/payment_intents/{intent_id}/_authenticate",
            data={"client_secret": client_secret, "success": "true"},
        )
        assert response.status_code == 200, response.text


@pytest.fixture
async def stripe(stripe_url: str) -> AsyncIterator[LocalStripe]:
    headers = {"Authorization": f"Bearer {SECRET_KEY}"}
    async with httpx.AsyncClient(base_url=stripe_url, headers=headers, timeout=30) as http:
        yield LocalStripe(http)


async def payment_of(user: User, order_id: str) -> httpx.Response:
    return await user.http.get(f"/api/payments/{order_id}")


# -- success ---------------------------------------------------------------------------


async def test_pay_charges_the_locked_price_and_sells_the_ticket(
    seller: User, buyer: User, stripe: LocalStripe
) -> None:
    ticket = await seller.sell(8_800)
    order = await place_order(buyer, ticket["id"])

    response = await buyer.pay(order["id"])

    assert response.status_code == 201, response.text
    payment = response.json()
    assert payment["status"] == "succeeded"
    assert payment["orderId"] == order["id"]
    assert payment["amount"] == {"amount": 8_800, "currency": "usd"}
    assert payment["paymentIntentId"].startswith("pi_")
    assert payment["clientSecret"] is None and payment["failureMessage"] is None
    [intent] = await stripe.intents_for(order["id"])
    assert (intent["id"], intent["status"]) == (payment["paymentIntentId"], "succeeded")
    assert (intent["amount"], intent["currency"]) == (8_800, "usd")
    done = await eventually(lambda: buyer.order(order["id"]), lambda o: o["status"] == "complete")
    assert done["cancelReason"] is None
    sold = await eventually(lambda: buyer.ticket(ticket["id"]), lambda t: t["status"] == "sold")
    assert (sold["ownerId"], sold["sellerId"]) == (buyer.id, seller.id)


async def test_show_returns_the_payment_of_my_order(seller: User, buyer: User) -> None:
    ticket = await seller.sell(1_200)
    order = await place_order(buyer, ticket["id"])
    paid = (await buyer.pay(order["id"])).json()

    response = await payment_of(buyer, order["id"])

    assert response.status_code == 200, response.text
    shown = response.json()
    assert shown["status"] == "succeeded"
    assert shown["paymentIntentId"] == paid["paymentIntentId"]
    assert shown["amount"] == {"amount": 1_200, "currency": "usd"}


async def test_show_is_404_when_order_has_no_payment(seller: User, buyer: User) -> None:
    ticket = await seller.sell()
    order = await place_order(buyer, ticket["id"])

    assert error_fields(await payment_of(buyer, order["id"]), 404) == ["orderId"]
    error_fields(await payment_of(buyer, UNKNOWN_ID), 404)


async def test_show_is_403_for_another_users_payment(
    seller: User, buyer: User, other: User
) -> None:
    ticket = await seller.sell()
    order = await place_order(buyer, ticket["id"])
    assert (await buyer.pay(order["id"])).status_code == 201

    error_fields(await payment_of(other, order["id"]), 403)
    error_fields(await payment_of(seller, order["id"]), 403)


# -- never twice -----------------------------------------------------------------------


async def test_pay_is_409_when_retried_after_success_and_charges_once(
    seller: User, buyer: User, stripe: LocalStripe
) -> None:
    ticket = await seller.sell(4_000)
    order = await place_order(buyer, ticket["id"])
    first = await buyer.pay(order["id"])
    assert first.status_code == 201, first.text

    again = await buyer.pay(order["id"])
    after_complete_order = await eventually(
        lambda: buyer.order(order["id"]), lambda o: o["status"] == "complete"
    )
    third = await buyer.pay(order["id"])

    assert error_fields(again, 409) == ["orderId"]
    assert error_fields(third, 409) == ["orderId"]
    assert after_complete_order["price"]["amount"] == 4_000
    intents = await stripe.intents_for(order["id"])
    assert [(i["id"], i["status"]) for i in intents] == [
        (first.json()["paymentIntentId"], "succeeded")
    ]


async def test_pay_charges_once_when_the_same_request_is_sent_concurrently(
    seller: User, buyer: User, stripe: LocalStripe
) -> None:
    ticket = await seller.sell(4_000)
    order = await place_order(buyer, ticket["id"])

    responses = await asyncio.gather(*(buyer.pay(order["id"]) for _ in range(4)))

    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 1, [r.text for r in responses]
    assert set(statuses) <= {200, 201, 409}, [r.text for r in responses]
    final = await eventually(
        lambda: payment_of(buyer, order["id"]), lambda r: r.json()["status"] == "succeeded"
    )
    intents = await stripe.intents_for(order["id"])
    assert [(i["id"], i["status"]) for i in intents] == [
        (final.json()["paymentIntentId"], "succeeded")
    ]


# -- decline ---------------------------------------------------------------------------


async def test_pay_is_402_when_card_is_declined_and_cancels_the_order(
    seller: User, buyer: User, other: User, stripe: LocalStripe
) -> None:
    ticket = await seller.sell(3_000)
    order = await place_order(buyer, ticket["id"])

    response = await buyer.pay(order["id"], method=DECLINED)

    [item] = error_items(response, 402)
    assert "declined" in item["message"].lower()
    # The ticket is free again at once: another buyer gets it.
    retry = await other.buy(ticket["id"])
    assert retry.status_code == 201, retry.text
    cancelled = await eventually(
        lambda: buyer.order(order["id"]), lambda o: o["status"] == "cancelled"
    )
    assert cancelled["cancelReason"] == "payment_failed"
    payment = (await payment_of(buyer, order["id"])).json()
    assert payment["status"] == "failed"
    assert "declined" in payment["failureMessage"].lower()
    intents = await stripe.intents_for(order["id"])
    assert [i["status"] for i in intents] == ["requires_payment_method"]


async def test_declined_payment_unlocks_the_ticket_for_watchers(seller: User, buyer: User) -> None:
    ticket = await seller.sell(3_000)
    order = await place_order(buyer, ticket["id"])
    await eventually(lambda: seller.ticket(ticket["id"]), lambda t: t["status"] == "locked")

    assert (await buyer.pay(order["id"], method=DECLINED)).status_code == 402

    unlocked = await eventually(
        lambda: seller.ticket(ticket["id"]), lambda t: t["status"] == "available"
    )
    assert unlocked["ownerId"] == seller.id and unlocked["orderId"] is None


async def test_pay_is_409_when_retried_after_a_decline(
    seller: User, buyer: User, stripe: LocalStripe
) -> None:
    ticket = await seller.sell()
    order = await place_order(buyer, ticket["id"])
    assert (await buyer.pay(order["id"], method=DECLINED)).status_code == 402

    retry = await buyer.pay(order["id"], method="pm_card_visa")

    error_fields(retry, 409)
    assert [i["status"] for i in await stripe.intents_for(order["id"])] == [
        "requires_payment_method"
    ]


# -- 3-D Secure ------------------------------------------------------------------------


async def test_pay_requires_action_with_a_client_secret_when_card_needs_3d_secure(
    seller: User, buyer: User, other: User, stripe: LocalStripe
) -> None:
    ticket = await seller.sell(5_500)
    order = await place_order(buyer, ticket["id"])
    method = await stripe.card_method(THREE_D_SECURE_CARD)

    response = await buyer.pay(order["id"], method=method)

    assert response.status_code == 200, response.text
    payment = response.json()
    assert payment["status"] == "requires_action"
    [intent] = await stripe.intents_for(order["id"])
    assert intent["status"] == "requires_action"
    assert payment["paymentIntentId"] == intent["id"]
    assert payment["clientSecret"] == intent["client_secret"]
    assert payment["clientSecret"].startswith(f"{intent['id']}_secret_")
    # Meanwhile the ticket stays held for this buyer.
    error_fields(await other.buy(ticket["id"]), 409)
    assert (await buyer.order(order["id"]))["status"] == "created"


async def test_pay_retried_during_3d_secure_returns_the_same_intent(
    seller: User, buyer: User, stripe: LocalStripe
) -> None:
    ticket = await seller.sell(5_500)
    order = await place_order(buyer, ticket["id"])
    method = await stripe.card_method(THREE_D_SECURE_CARD)
    first = (await buyer.pay(order["id"], method=method)).json()

    again = await buyer.pay(order["id"], method=method)

    assert again.status_code == 200, again.text
    assert again.json()["status"] == "requires_action"
    assert again.json()["clientSecret"] == first["clientSecret"]
    assert len(await stripe.intents_for(order["id"])) == 1


async def test_payment_succeeds_once_3d_secure_is_completed(
    seller: User, buyer: User, stripe: LocalStripe
) -> None:
    ticket = await seller.sell(5_500)
    order = await place_order(buyer, ticket["id"])
    method = await stripe.card_method(THREE_D_SECURE_CARD)
    pending = (await buyer.pay(order["id"], method=method)).json()

    await stripe.authenticate(pending["paymentIntentId"], pending["clientSecret"])
    shown = await payment_of(buyer, order["id"])

    assert shown.status_code == 200, shown.text
    assert shown.json()["status"] == "succeeded"
    assert shown.json()["clientSecret"] is None
    sold = await eventually(lambda: buyer.ticket(ticket["id"]), lambda t: t["status"] == "sold")
    assert sold["ownerId"] == buyer.id
    await eventually(lambda: buyer.order(order["id"]), lambda o: o["status"] == "complete")


# -- refused ---------------------------------------------------------------------------


async def test_pay_is_403_for_another_users_order(
    seller: User, buyer: User, other: User, stripe: LocalStripe
) -> None:
    ticket = await seller.sell()
    order = await place_order(buyer, ticket["id"])

    response = await other.pay(order["id"])

    error_fields(response, 403)
    assert await stripe.intents_for(order["id"]) == []
    error_fields(await payment_of(buyer, order["id"]), 404)
    assert (await buyer.pay(order["id"])).status_code == 201


async def test_pay_is_404_when_order_does_not_exist(buyer: User) -> None:
    assert error_fields(await buyer.pay(UNKNOWN_ID), 404) == ["orderId"]


async def test_pay_is_409_when_order_is_cancelled(
    seller: User, buyer: User, other: User, stripe: LocalStripe
) -> None:
    ticket = await seller.sell()
    order = await place_order(buyer, ticket["id"])
    assert (await buyer.http.delete(f"/api/orders/{order['id']}")).status_code == 200

    at_once = await buyer.pay(order["id"])
    taken = await other.buy(ticket["id"])
    assert taken.status_code == 201, taken.text
    while_another_holds_it = await buyer.pay(order["id"])

    error_fields(at_once, 409)
    error_fields(while_another_holds_it, 409)
    assert await stripe.intents_for(order["id"]) == []
    assert (await other.pay(taken.json()["id"])).status_code == 201


async def test_pay_is_409_when_order_has_expired(
    short_lock_stack: Stack, stripe: LocalStripe
) -> None:
    stack = short_lock_stack
    async with User(stack.url, "seller") as seller, User(stack.url, "buyer") as buyer:
        ticket = await seller.sell()
        order = await place_order(buyer, ticket["id"])
        expired = await eventually(
            lambda: buyer.order(order["id"]), lambda o: o["status"] == "expired"
        )

        response = await buyer.pay(order["id"])

        assert expired["cancelReason"] == "expired"
        error_fields(response, 409)
        assert await stripe.intents_for(order["id"]) == []
        await eventually(lambda: seller.ticket(ticket["id"]), lambda t: t["status"] == "available")


async def test_pay_is_401_when_not_signed_in(anonymous: httpx.AsyncClient) -> None:
    body = {"orderId": UNKNOWN_ID, "paymentMethodId": "pm_card_visa"}
    error_fields(await anonymous.post("/api/payments", json=body), 401)
    error_fields(await anonymous.get(f"/api/payments/{UNKNOWN_ID}"), 401)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"paymentMethodId": "pm_card_visa"}, "orderId"),
        ({"orderId": UNKNOWN_ID}, "paymentMethodId"),
        ({"orderId": UNKNOWN_ID, "paymentMethodId": "4242424242424242"}, "paymentMethodId"),
        ({"orderId": "", "paymentMethodId": "pm_card_visa"}, "orderId"),
    ],
    ids=["missing-order", "missing-method", "card-number-as-method", "empty-order"],
)
async def test_pay_is_400_with_the_field_when_body_is_invalid(
    buyer: User, body: dict[str, str], field: str
) -> None:
    response = await buyer.http.post("/api/payments", json=body)

    assert error_fields(response, 400) == [field]

"""The orders REST API through the gateway: ordering takes the ticket's lock, orders are
private to their buyer, and cancelling an unpaid order unlocks the ticket at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pymongo import AsyncMongoClient
from redis.asyncio import Redis

from backend.common.keys import RedisKeys
from backend.common.settings import Settings
from tests.support.api import User, eventually
from tests.support.market import buy_outright, error_fields, order_when_seen, place_order
from tests.support.stack import Stack

pytestmark = pytest.mark.integration

LOCK_TTL = timedelta(seconds=900)  # market_settings.lock_ttl_seconds
UNKNOWN_ID = "0123456789abcdef01234567"


# -- create ----------------------------------------------------------------------------


async def test_order_is_created_at_the_ticket_price_with_a_deadline(
    seller: User, buyer: User
) -> None:
    ticket = await seller.sell(6_400)
    before = datetime.now(UTC)

    order = await place_order(buyer, ticket["id"])

    after = datetime.now(UTC)
    assert order["status"] == "created"
    assert order["price"] == {"amount": 6_400, "currency": "usd"}
    assert order["ticket"]["id"] == ticket["id"]
    assert order["ticket"]["title"] == ticket["title"]
    assert (order["buyerId"], order["sellerId"]) == (buyer.id, seller.id)
    assert order["cancelReason"] is None
    expires_at = datetime.fromisoformat(order["expiresAt"])
    assert before + LOCK_TTL - timedelta(seconds=5) <= expires_at <= after + LOCK_TTL
    assert abs(order["expiresAtMs"] - expires_at.timestamp() * 1000) < 1
    shown = await buyer.order(order["id"])
    assert (shown["id"], shown["status"], shown["price"]) == (
        order["id"],
        "created",
        order["price"],
    )
    assert abs(shown["expiresAtMs"] - order["expiresAtMs"]) <= 1


async def test_order_locks_the_ticket_until_its_deadline(seller: User, buyer: User) -> None:
    ticket = await seller.sell()

    order = await place_order(buyer, ticket["id"])

    locked = await eventually(lambda: buyer.ticket(ticket["id"]), lambda t: t["status"] == "locked")
    assert abs(locked["lockedUntilMs"] - order["expiresAtMs"]) <= 1
    assert locked["orderId"] is None  # which order holds it is not for everyone to see
    # Its seller sees the ticket in full: the order that locks it.
    assert (await seller.ticket(ticket["id"]))["orderId"] == order["id"]


@pytest.mark.parametrize("ticket_id", [UNKNOWN_ID, "not-an-id"], ids=["unknown", "malformed"])
async def test_order_is_404_when_ticket_does_not_exist(buyer: User, ticket_id: str) -> None:
    response = await buyer.buy(ticket_id)

    error_fields(response, 404)
    assert (await buyer.http.get("/api/orders")).json()["items"] == []


@pytest.mark.parametrize(
    "body",
    [{}, {"ticketId": ""}, {"ticketId": 42}, {"ticketId": UNKNOWN_ID, "price": 1}],
    ids=["missing", "empty", "not-a-string", "unknown-field"],
)
async def test_order_is_400_when_body_is_invalid(buyer: User, body: dict[str, object]) -> None:
    response = await buyer.http.post("/api/orders", json=body)

    assert len(error_fields(response, 400)) == 1


async def test_order_is_401_when_not_signed_in(seller: User, anonymous: httpx.AsyncClient) -> None:
    ticket = await seller.sell()

    response = await anonymous.post("/api/orders", json={"ticketId": ticket["id"]})

    error_fields(response, 401)


async def test_order_is_409_when_buying_own_ticket(seller: User) -> None:
    ticket = await seller.sell()

    response = await order_when_seen(seller, ticket["id"])

    assert error_fields(response, 409) == ["ticketId"]
    assert (await seller.ticket(ticket["id"]))["status"] == "available"


async def test_order_is_409_when_ticket_is_locked_by_another_buyer(
    seller: User, buyer: User, other: User
) -> None:
    ticket = await seller.sell()
    order = await place_order(buyer, ticket["id"])

    response = await other.buy(ticket["id"])

    assert error_fields(response, 409) == ["ticketId"]
    assert (await other.http.get("/api/orders")).json()["items"] == []
    assert (await buyer.order(order["id"]))["status"] == "created"


async def test_order_is_409_when_buyer_already_holds_the_ticket(seller: User, buyer: User) -> None:
    ticket = await seller.sell()
    await place_order(buyer, ticket["id"])

    again = await buyer.buy(ticket["id"])

    error_fields(again, 409)
    assert len((await buyer.http.get("/api/orders")).json()["items"]) == 1


async def test_order_is_409_when_ticket_is_sold(seller: User, buyer: User, other: User) -> None:
    ticket = await seller.sell()
    await buy_outright(buyer, ticket["id"])

    response = await other.buy(ticket["id"])

    assert error_fields(response, 409) == ["ticketId"]
    assert (await buyer.ticket(ticket["id"]))["ownerId"] == buyer.id


# -- show and list ---------------------------------------------------------------------


async def test_show_is_403_for_another_users_order(seller: User, buyer: User, other: User) -> None:
    ticket = await seller.sell()
    order = await place_order(buyer, ticket["id"])

    by_other = await other.http.get(f"/api/orders/{order['id']}")
    by_seller = await seller.http.get(f"/api/orders/{order['id']}")

    error_fields(by_other, 403)
    error_fields(by_seller, 403)


@pytest.mark.parametrize("order_id", [UNKNOWN_ID, "nope"], ids=["unknown", "malformed"])
async def test_show_is_404_when_order_does_not_exist(buyer: User, order_id: str) -> None:
    error_fields(await buyer.http.get(f"/api/orders/{order_id}"), 404)


async def test_orders_are_401_when_not_signed_in(anonymous: httpx.AsyncClient) -> None:
    error_fields(await anonymous.get("/api/orders"), 401)
    error_fields(await anonymous.get(f"/api/orders/{UNKNOWN_ID}"), 401)
    error_fields(await anonymous.delete(f"/api/orders/{UNKNOWN_ID}"), 401)


async def test_list_shows_only_my_orders_newest_first(
    seller: User, buyer: User, other: User
) -> None:
    tickets = [(await seller.sell(price))["id"] for price in (1_000, 2_000, 3_000, 4_000)]
    mine = [(await place_order(buyer, ticket_id))["id"] for ticket_id in tickets[:3]]
    theirs = await place_order(other, tickets[3])

    response = await buyer.http.get("/api/orders")

    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [item["id"] for item in items] == mine[::-1]
    assert [item["price"]["amount"] for item in items] == [3_000, 2_000, 1_000]
    other_items = (await other.http.get("/api/orders")).json()["items"]
    assert [item["id"] for item in other_items] == [theirs["id"]]


async def test_list_shows_each_orders_current_status(seller: User, buyer: User) -> None:
    kept, dropped = (await seller.sell())["id"], (await seller.sell())["id"]
    paid = await buy_outright(buyer, kept)
    cancelled = await place_order(buyer, dropped)
    assert (await buyer.http.delete(f"/api/orders/{cancelled['id']}")).status_code == 200

    items = await eventually(
        lambda: _orders(buyer), lambda o: o[paid["id"]] == "complete", timeout=10
    )

    assert items == {paid["id"]: "complete", cancelled["id"]: "cancelled"}


async def _orders(user: User) -> dict[str, str]:
    response = await user.http.get("/api/orders")
    assert response.status_code == 200, response.text
    return {item["id"]: item["status"] for item in response.json()["items"]}


# -- cancel ----------------------------------------------------------------------------


async def test_cancel_unlocks_the_ticket_at_once_for_another_buyer(
    seller: User, buyer: User, other: User
) -> None:
    ticket = await seller.sell(2_500)
    order = await place_order(buyer, ticket["id"])

    cancelled = await buyer.http.delete(f"/api/orders/{order['id']}")
    # No waiting: the lock is released by the cancel itself.
    retry = await other.buy(ticket["id"])

    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancelReason"] == "buyer"
    assert retry.status_code == 201, retry.text
    assert retry.json()["price"]["amount"] == 2_500
    locked = await eventually(
        lambda: seller.ticket(ticket["id"]),
        lambda t: t["status"] == "locked" and t["orderId"] == retry.json()["id"],
    )
    assert abs(locked["lockedUntilMs"] - retry.json()["expiresAtMs"]) <= 1
    assert (await buyer.order(order["id"]))["status"] == "cancelled"


async def test_cancel_makes_the_ticket_available_and_editable_again(
    seller: User, buyer: User
) -> None:
    ticket = await seller.sell(2_500)
    order = await place_order(buyer, ticket["id"])
    await eventually(lambda: seller.ticket(ticket["id"]), lambda t: t["status"] == "locked")

    response = await buyer.http.delete(f"/api/orders/{order['id']}")

    assert response.status_code == 200, response.text
    unlocked = await eventually(
        lambda: seller.ticket(ticket["id"]), lambda t: t["status"] == "available"
    )
    assert unlocked["lockedUntil"] is None and unlocked["orderId"] is None
    edit = await eventually(
        lambda: seller.edit(ticket["id"], price={"amount": 2_000, "currency": "usd"}),
        lambda r: r.status_code != 409,
    )
    assert edit.status_code == 200, edit.text


async def test_cancel_is_409_when_order_is_already_cancelled(seller: User, buyer: User) -> None:
    ticket = await seller.sell()
    order = await place_order(buyer, ticket["id"])
    assert (await buyer.http.delete(f"/api/orders/{order['id']}")).status_code == 200

    again = await buyer.http.delete(f"/api/orders/{order['id']}")

    error_fields(again, 409)
    assert (await buyer.order(order["id"]))["cancelReason"] == "buyer"


async def test_cancel_is_409_when_order_is_paid(seller: User, buyer: User) -> None:
    ticket = await seller.sell()
    order = await buy_outright(buyer, ticket["id"])

    response = await buyer.http.delete(f"/api/orders/{order['id']}")

    error_fields(response, 409)
    assert (await buyer.ticket(ticket["id"]))["status"] == "sold"
    done = await eventually(lambda: buyer.order(order["id"]), lambda o: o["status"] == "complete")
    assert done["cancelReason"] is None


async def test_cancel_is_409_right_after_payment_before_the_order_completes(
    seller: User, buyer: User
) -> None:
    ticket = await seller.sell()
    order = await place_order(buyer, ticket["id"])
    assert (await buyer.pay(order["id"])).status_code == 201

    # No waiting for ChargeCreated to reach the orders service.
    response = await buyer.http.delete(f"/api/orders/{order['id']}")

    error_fields(response, 409)
    done = await eventually(lambda: buyer.order(order["id"]), lambda o: o["status"] == "complete")
    assert done["cancelReason"] is None


async def test_cancel_is_403_for_another_users_order(
    seller: User, buyer: User, other: User
) -> None:
    ticket = await seller.sell()
    order = await place_order(buyer, ticket["id"])

    response = await other.http.delete(f"/api/orders/{order['id']}")

    error_fields(response, 403)
    assert (await buyer.order(order["id"]))["status"] == "created"
    error_fields(await other.buy(ticket["id"]), 409)  # still locked for the buyer


@pytest.mark.parametrize("order_id", [UNKNOWN_ID, "nope"], ids=["unknown", "malformed"])
async def test_cancel_is_404_when_order_does_not_exist(buyer: User, order_id: str) -> None:
    error_fields(await buyer.http.delete(f"/api/orders/{order_id}"), 404)


# -- expiry ----------------------------------------------------------------------------


async def test_unpaid_order_expires_at_its_deadline_and_unlocks_the_ticket(
    short_lock_stack: Stack,
) -> None:
    stack = short_lock_stack
    async with (
        User(stack.url, "seller") as seller,
        User(stack.url, "buyer") as buyer,
        User(stack.url, "next") as next_buyer,
    ):
        ticket = await seller.sell()
        order = await place_order(buyer, ticket["id"])

        expired = await eventually(
            lambda: buyer.order(order["id"]), lambda o: o["status"] != "created"
        )

        assert (expired["status"], expired["cancelReason"]) == ("expired", "expired")
        assert datetime.now(UTC) >= datetime.fromisoformat(order["expiresAt"])
        error_fields(await buyer.http.delete(f"/api/orders/{order['id']}"), 409)
        await eventually(lambda: seller.ticket(ticket["id"]), lambda t: t["status"] == "available")
        retry = await next_buyer.buy(ticket["id"])
        assert retry.status_code == 201, retry.text


# -- pricing a winner --------------------------------------------------------------------


async def card_field(redis: Redis, card: str, name: str) -> object:
    return await redis.hget(card, name)  # type: ignore[misc]  # redis-py 7 stubs: sync|async union


async def card_terms(redis: Redis, keys: RedisKeys, ticket_id: str) -> object:
    return await card_field(redis, keys.ticket_card(ticket_id), "terms")


async def test_a_winner_is_priced_from_the_tickets_card_without_reading_the_replica(
    seller: User,
    buyer: User,
    market_settings: Settings,
    redis: Redis,
    keys: RedisKeys,
    mongo: AsyncMongoClient[dict[str, object]],
) -> None:
    ticket = await seller.sell(6_400)
    await eventually(lambda: card_terms(redis, keys, ticket["id"]), bool)
    replicas = mongo[market_settings.database_name("orders")]["ticket_replicas"]
    assert (await replicas.delete_one({"_id": ticket["id"]})).deleted_count == 1

    order = await place_order(buyer, ticket["id"])

    assert (order["price"], order["breakdown"]) == (ticket["price"], ticket["breakdown"])
    assert (order["ticket"]["title"], order["sellerId"]) == (ticket["title"], seller.id)


async def test_a_winner_whose_card_is_behind_the_committed_price_is_priced_from_the_replica(
    seller: User, buyer: User, redis: Redis, keys: RedisKeys
) -> None:
    ticket = await seller.sell(6_400)
    stale = await eventually(lambda: card_terms(redis, keys, ticket["id"]), bool)
    edited = await seller.edit(ticket["id"], price={"amount": 7_100, "currency": "usd"})
    assert edited.status_code == 200, edited.text
    card = keys.ticket_card(ticket["id"])
    await eventually(lambda: card_field(redis, card, "v"), lambda v: v == "1")
    # The card as it was before the edit (a card write that has not happened yet).
    await redis.hset(card, mapping={"v": 0, "terms": str(stale)})  # type: ignore[misc]

    order = await place_order(buyer, ticket["id"])

    assert order["breakdown"]["listPrice"]["amount"] == 7_100
    assert order["price"] == edited.json()["price"]

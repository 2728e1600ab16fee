"""Fair holds through the gateway, raced with real concurrent requests: one buyer cannot
corner the market (the cap), cannot renew a hold for ever (the re-hold cooldown), and
cannot hammer ``POST /api/orders`` (rate limits per user and per address)."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from backend.common.settings import Settings
from tests.support.api import User, eventually
from tests.support.live_fixtures import bearer_token
from tests.support.market import error_items
from tests.support.stack import running_stack

pytestmark = pytest.mark.integration

UNKNOWN_ID = "0123456789abcdef01234567"
# Each test loosens what it does not test: only the limit under test can refuse.
LOOSE = {
    "max_open_orders_per_user": 4,
    "rehold_cooldown_seconds": 120,
    "order_rate_per_user": 1_000,
    "order_rate_per_ip": 1_000,
}


@pytest.fixture
def market_settings(
    settings: Settings, stripe_url: str, request: pytest.FixtureRequest
) -> Settings:
    update: dict[str, Any] = {"stripe_api_base": stripe_url, "lock_ttl_seconds": 900.0, **LOOSE}
    update.update(getattr(request, "param", {}))
    return settings.model_copy(update=update)


def tuned(**update: Any) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("market_settings", [update], indirect=True, ids=["tuned"])


async def listed(seller: User, count: int) -> list[str]:
    """``count`` tickets, once the orders service knows each (the seller's own order is
    refused with 409 instead of 404; it spends no buyer's budget)."""
    tickets = await asyncio.gather(*(seller.sell(1_000 + i) for i in range(count)))
    ids = [str(ticket["id"]) for ticket in tickets]
    for ticket_id in ids:
        known = await eventually(partial(seller.buy, ticket_id), lambda r: r.status_code != 404)
        assert known.status_code == 409, known.text
    return ids


def statuses(answers: list[httpx.Response]) -> list[int]:
    return sorted(answer.status_code for answer in answers)


def retry_after(answer: httpx.Response) -> int:
    return int(answer.headers["Retry-After"])


# -- the cap ----------------------------------------------------------------------------
async def test_exactly_the_cap_wins_when_one_buyer_orders_twenty_four_tickets_at_once(
    seller: User, buyer: User, other: User
) -> None:
    ids = await listed(seller, 24)

    answers = await asyncio.gather(*(buyer.buy(ticket_id) for ticket_id in ids))

    assert statuses(answers) == [201] * 4 + [409] * 20
    for refused in (a for a in answers if a.status_code == 409):
        [item] = error_items(refused, 409)
        assert item == {
            "message": "You already hold 4 tickets (at most 4 at once); "
            "pay for or cancel one first",
            "field": "ticketId",
        }
        assert 800 <= retry_after(refused) <= 901  # the soonest hold's deadline
    won = {a.json()["ticket"]["id"]: a.json()["id"] for a in answers if a.status_code == 201}
    free = [ticket_id for ticket_id in ids if ticket_id not in won]
    # The market is not cornered: another buyer gets one of the rest.
    assert (await other.buy(free[0])).status_code == 201
    # A cancelled hold frees its slot at once: the next order wins, the one after not.
    first_ticket, first_order = next(iter(won.items()))
    assert (await buyer.http.delete(f"/api/orders/{first_order}")).status_code == 200
    again = await asyncio.gather(buyer.buy(free[1]), buyer.buy(free[2]))
    assert statuses(list(again)) == [201, 409]
    assert first_ticket not in free


async def test_a_hold_whose_lock_ran_out_with_the_workers_down_no_longer_counts(
    market_settings: Settings,
) -> None:
    settings = market_settings.model_copy(
        update={"lock_ttl_seconds": 2.0, "max_open_orders_per_user": 2}
    )
    # No expiration worker: nobody fires OrderExpired; only the locks' TTL ends the holds.
    async with (
        running_stack(settings, only=("auth", "tickets", "orders")) as stack,
        User(stack.url, "seller") as seller,
        User(stack.url, "buyer") as buyer,
    ):
        ids = await listed(seller, 3)
        answers = await asyncio.gather(*(buyer.buy(ticket_id) for ticket_id in ids))
        assert statuses(list(answers)) == [201, 201, 409]
        late = next(ids[i] for i, a in enumerate(answers) if a.status_code == 409)
        held = [a.json() for a in answers if a.status_code == 201]

        await asyncio.sleep(2.0 + 1.0 + 0.3)  # the lock's TTL, and SKEW_MS

        assert [(await buyer.order(o["id"]))["status"] for o in held] == ["created"] * 2
        assert (await buyer.buy(late)).status_code == 201
        # Those holds ended unsold: the buyer's re-hold cooldown runs on their tickets.
        cooled = await buyer.buy(held[0]["ticket"]["id"])
        assert cooled.status_code == 429, cooled.text


# -- the cooldown -----------------------------------------------------------------------
@tuned(rehold_cooldown_seconds=3)
async def test_cancel_and_relock_is_429_during_the_cooldown_for_that_buyer_only(
    seller: User, buyer: User, other: User
) -> None:
    [ticket_id] = await listed(seller, 1)
    order = (await buyer.buy(ticket_id)).json()
    assert (await buyer.http.delete(f"/api/orders/{order['id']}")).status_code == 200

    retries = await asyncio.gather(*(buyer.buy(ticket_id) for _ in range(5)))

    for answer in retries:
        [item] = error_items(answer, 429)
        assert item["field"] == "ticketId"
        assert "hold it again in" in item["message"]
        assert 1 <= retry_after(answer) <= 3
        assert "RateLimit-Remaining" in answer.headers
    # Another buyer is not affected by the first one's cooldown.
    rival = await other.buy(ticket_id)
    assert rival.status_code == 201, rival.text
    assert (await other.http.delete(f"/api/orders/{rival.json()['id']}")).status_code == 200
    await asyncio.sleep(max(retry_after(a) for a in retries))
    again = await buyer.buy(ticket_id)
    assert again.status_code == 201, again.text


# -- payments end holds ------------------------------------------------------------------
@tuned(max_open_orders_per_user=1)
async def test_a_paid_or_declined_order_frees_the_slot_at_once(seller: User, buyer: User) -> None:
    first, second, third = await listed(seller, 3)
    paid = (await buyer.buy(first)).json()
    assert (await buyer.buy(second)).status_code == 409

    assert (await buyer.pay(paid["id"])).status_code == 201

    declined = await buyer.buy(second)  # at once: no waiting for facts
    assert declined.status_code == 201, declined.text
    assert (await buyer.pay(declined.json()["id"], "pm_card_chargeCustomerFail")).status_code == 402
    assert (await buyer.buy(third)).status_code == 201
    # A decline ends the hold without a sale: that ticket is in its cooldown.
    assert (await buyer.buy(second)).status_code == 429


# -- rate limits -------------------------------------------------------------------------
@tuned(order_rate_per_user=3, max_open_orders_per_user=10)
async def test_the_rate_limit_per_user_refuses_with_retry_after_and_ratelimit_headers(
    seller: User, buyer: User, other: User
) -> None:
    ids = await listed(seller, 9)

    answers = await asyncio.gather(*(buyer.buy(ticket_id) for ticket_id in ids[:6]))

    assert statuses(list(answers)) == [201] * 3 + [429] * 3
    # Each answer reads what is left right after its own request was counted, in the
    # same script: exact even in a burst. A refusal reads 0.
    left = {code: sorted(int(a.headers["RateLimit-Remaining"]) for a in answers
                         if a.status_code == code) for code in (201, 429)}  # fmt: skip
    assert left == {201: [0, 1, 2], 429: [0, 0, 0]}
    for answer in answers:
        assert answer.headers["RateLimit-Limit"] == "3"
        assert answer.headers["RateLimit-Policy"] == "3;w=60"
    for refused in (a for a in answers if a.status_code == 429):
        [item] = error_items(refused, 429)
        assert item["message"].startswith("Too many orders")
        assert 1 <= retry_after(refused) <= 60
    # Per user: another buyer still has their budget, told exactly one request at a time.
    one_by_one = [await other.buy(ticket_id) for ticket_id in ids[6:]]
    assert statuses(one_by_one) == [201] * 3
    assert [a.headers["RateLimit-Remaining"] for a in one_by_one] == ["2", "1", "0"]


@tuned(order_rate_per_ip=5)
async def test_the_rate_limit_per_address_counts_every_user_from_it(
    buyer: User, other: User
) -> None:
    answers = await asyncio.gather(
        *(person.buy(UNKNOWN_ID) for person in (buyer, other) for _ in range(4))
    )

    assert statuses(list(answers)) == [404] * 5 + [429] * 3
    for refused in (a for a in answers if a.status_code == 429):
        error_items(refused, 429)
        assert refused.headers["RateLimit-Limit"] == "5"
        assert refused.headers["RateLimit-Remaining"] == "0"
        assert 1 <= retry_after(refused) <= 60


@tuned(order_rate_per_user=5)
async def test_an_order_after_redis_lost_its_scripts_is_counted_once(
    seller: User, buyer: User, redis: Redis
) -> None:
    first, second = await listed(seller, 2)
    assert (await buyer.buy(first)).headers["RateLimit-Remaining"] == "4"
    await redis.script_flush()  # as after a Redis restart: the first look's script is gone

    again = await buyer.buy(second)

    assert again.status_code == 201, again.text
    assert again.headers["RateLimit-Remaining"] == "3"  # the failed pipeline counted nothing


# -- the session, checked in the first look ------------------------------------------------
@tuned(order_rate_per_user=5)
async def test_a_signed_out_session_cannot_order_and_spends_nothing_of_the_buyer(
    seller: User, buyer: User
) -> None:
    """POST /api/orders checks the session in its first look (not in the middleware):
    a signed-out token is refused there as everywhere, before a body it cannot parse."""
    first, second = await listed(seller, 2)
    token = await bearer_token(buyer)
    async with httpx.AsyncClient(
        base_url=buyer.http.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as thief:  # a bot's session, as a thief would hold it
        assert (await thief.post("/api/users/signout")).status_code == 200
        answers = [
            await thief.post("/api/orders", json={"ticketId": first}),
            await thief.post("/api/orders", json={"ticketId": 5}),
            await thief.post("/api/orders", json={"ticketId": UNKNOWN_ID}),
        ]

    assert statuses(answers) == [401, 401, 401]
    assert (await buyer.http.get("/api/orders")).json()["items"] == []
    # The buyer's own session (its cookie) orders, its budget whole.
    mine = await buyer.buy(second)
    assert mine.status_code == 201, mine.text
    assert mine.headers["RateLimit-Remaining"] == "4"

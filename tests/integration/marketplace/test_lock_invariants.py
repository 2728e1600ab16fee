"""The six lock invariants of DESIGN.md, each proven by racing real concurrent requests
through the public REST API (one client per person) against every service they involve.

Outcomes of a race are not decided in advance; every test asserts what must hold
whichever way the race goes, and waits for events with ``eventually``.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, cast

import httpx
import pytest
from bson import ObjectId
from redis.asyncio import Redis

from backend.common.auth import Revocations, issue_token
from backend.common.cluster import ClusterClient
from backend.common.keys import RedisKeys
from backend.common.settings import Settings
from tests.conftest import TEST_JWT_KEY
from tests.support.api import User, eventually
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.integration

STRIPE_SECRET = "sk_test_localstripe"
# Generous: events cross Redis Streams and several consumers in one (busy) event loop.
SETTLE_S = 30.0
# The services the lock involves; the live gateway plays no part in it.
LOCK_SERVICES = ("auth", "tickets", "orders", "payments", "expiration")
# Redis counts a key's TTL from its own whole-millisecond clock.
REDIS_CLOCK_SLACK_MS = 2


# -- fixtures -----------------------------------------------------------------------------
# Every test here runs twice: on one redis-server, and on a real 3-master Redis Cluster
# (every script and transaction must stay in one slot: backend/common/keys.py).
@pytest.fixture(params=["redis-server", "redis-cluster"])
def cluster_url(request: pytest.FixtureRequest) -> str | None:
    return None if request.param == "redis-server" else request.getfixturevalue("redis_cluster_url")


@pytest.fixture
def settings(settings: Settings, cluster_url: str | None) -> Settings:
    if cluster_url is None:
        return settings
    return settings.model_copy(update={"redis_url": cluster_url, "redis_cluster": True})


@pytest.fixture
async def redis(redis: Redis, cluster_url: str | None) -> AsyncIterator[Redis]:
    if cluster_url is None:
        yield redis
        return
    cluster = ClusterClient.from_url(cluster_url, decode_responses=True)
    yield cast(Redis, cluster)
    await cluster.aclose()


@pytest.fixture(autouse=True)
def known_bots(redis: Redis, keys: RedisKeys) -> None:
    Bot.sessions = Revocations(redis, keys)


@pytest.fixture
def lock_ttl() -> float:
    """The purchase lock's TTL; a test parametrizes it (``lock_ttl=[2.0]``) to shorten it."""
    return 900.0


@pytest.fixture
def market_settings(settings: Settings, stripe_url: str, lock_ttl: float) -> Settings:
    return settings.model_copy(update={"stripe_api_base": stripe_url, "lock_ttl_seconds": lock_ttl})


@pytest.fixture
async def stack(market_settings: Settings) -> AsyncIterator[Stack]:
    async with running_stack(market_settings, only=LOCK_SERVICES) as running:
        yield running


# -- helpers ------------------------------------------------------------------------------
class Bot(User):
    """A user known by a session token like the one ``POST /api/users/token`` issues,
    without signing up: sign-up's deliberately slow password hashing would otherwise
    take most of the run and plays no part in the lock (the resale test signs up). The
    services know a user by their session generation in Redis, which sign-up writes; the
    bot's is written here (``sessions``, set for each test by ``known_bots``)."""

    sessions: ClassVar[Revocations]

    async def __aenter__(self) -> Bot:
        self.id = str(ObjectId())
        await self.sessions.advance(self.id, 0)
        session = issue_token(user_id=self.id, email=self.email, key=TEST_JWT_KEY, ttl_seconds=3600)
        self.http.headers["Authorization"] = f"Bearer {session.token}"
        return self


@asynccontextmanager
async def crowd(base_url: str, name: str, count: int) -> AsyncIterator[list[Bot]]:
    """``count`` bots, each with its own HTTP client."""
    people = [Bot(base_url, f"{name}{i}") for i in range(count)]
    try:
        await asyncio.gather(*(person.__aenter__() for person in people))
        yield people
    finally:
        await asyncio.gather(*(person.__aexit__() for person in people))


def price(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "usd"}


async def orderable(seller: User, ticket_id: str) -> None:
    """Wait until the orders service knows the ticket, without locking it: the seller's
    own purchase is refused (409) instead of unknown (404)."""
    answer = await eventually(
        lambda: seller.buy(ticket_id), lambda r: r.status_code != 404, timeout=SETTLE_S
    )
    assert answer.status_code == 409, answer.text


async def listed_many(seller: User, amounts: Iterable[int]) -> list[str]:
    """List tickets at once; their ids once all can be bought (waited for one by one:
    a poller per ticket would only flood the busy services)."""
    tickets = await asyncio.gather(*(seller.sell(price=amount) for amount in amounts))
    ids = [str(ticket["id"]) for ticket in tickets]
    for ticket_id in ids:
        await orderable(seller, ticket_id)
    return ids


async def listed(seller: User, amount: int) -> str:
    [ticket_id] = await listed_many(seller, [amount])
    return ticket_id


async def payable(prober: User, order_id: str) -> None:
    """Wait until the payments service knows the order, without paying it: someone else's
    payment is refused (403) instead of unknown (404)."""
    answer = await eventually(
        lambda: prober.pay(order_id), lambda r: r.status_code != 404, timeout=SETTLE_S
    )
    assert answer.status_code == 403, answer.text


async def all_payable(prober: User, order_ids: Iterable[str]) -> None:
    for order_id in order_ids:
        await payable(prober, order_id)


def message(response: httpx.Response) -> str:
    return " ".join(str(item["message"]) for item in response.json()["errors"])


async def ticket_when(user: User, ticket_id: str, status: str) -> dict[str, Any]:
    return await eventually(
        lambda: user.ticket(ticket_id), lambda t: t["status"] == status, timeout=SETTLE_S
    )


async def order_when(buyer: User, order_id: str, status: str) -> dict[str, Any]:
    return await eventually(
        lambda: buyer.order(order_id), lambda o: o["status"] == status, timeout=SETTLE_S
    )


async def order_settled(buyer: User, order_id: str) -> dict[str, Any]:
    return await eventually(
        lambda: buyer.order(order_id), lambda o: o["status"] != "created", timeout=SETTLE_S
    )


async def cancel(buyer: User, order_id: str) -> httpx.Response:
    return await buyer.http.delete(f"/api/orders/{order_id}")


@dataclass(frozen=True, slots=True)
class Ledger:
    """What the card processor (localstripe) has recorded, read at one moment through its
    list API; each PaymentIntent names its order in its metadata."""

    payment_intents: list[dict[str, Any]]
    charges: list[dict[str, Any]]

    @classmethod
    async def read(cls, stripe_url: str) -> Ledger:
        async with httpx.AsyncClient(
            base_url=stripe_url,
            timeout=30,
            headers={"Authorization": f"Bearer {STRIPE_SECRET}"},
            params={"limit": 100_000},
        ) as client:
            answers = await asyncio.gather(
                client.get("/v1/payment_intents"), client.get("/v1/charges")
            )
        for answer in answers:
            assert answer.status_code == 200, answer.text
        intents, charges = (list(answer.json()["data"]) for answer in answers)
        return cls(intents, charges)

    def intents(self, order_id: str) -> list[dict[str, Any]]:
        """Every PaymentIntent created for the order."""
        return [
            pi
            for pi in self.payment_intents
            if (pi.get("metadata") or {}).get("orderId") == order_id
        ]

    def charged(self, order_id: str) -> list[dict[str, Any]]:
        """The order's successful charges that were not refunded."""
        intent_ids = {pi["id"] for pi in self.intents(order_id)}
        return [
            ch
            for ch in self.charges
            if ch.get("payment_intent") in intent_ids
            and ch["status"] == "succeeded"
            and not ch.get("refunded")
            and not ch.get("amount_refunded")
        ]


# -- 1. One winner ------------------------------------------------------------------------
async def test_exactly_one_buyer_wins_when_twenty_race_for_each_ticket(stack: Stack) -> None:
    async with Bot(stack.url, "seller") as seller, crowd(stack.url, "racer", 20) as buyers:
        ids = await listed_many(seller, [1_000 + i for i in range(5)])
        attempts = [(ticket_id, buyer) for ticket_id in ids for buyer in buyers]
        random.Random(1).shuffle(attempts)

        answers = await asyncio.gather(*(buyer.buy(ticket_id) for ticket_id, buyer in attempts))

        winners: dict[str, dict[str, Any]] = {}
        for (ticket_id, buyer), answer in zip(attempts, answers, strict=True):
            assert answer.status_code in (201, 409), answer.text
            if answer.status_code == 201:
                assert ticket_id not in winners, f"two orders hold ticket {ticket_id}"
                winners[ticket_id] = answer.json()
                assert answer.json()["buyerId"] == buyer.id
            else:
                assert "locked" in message(answer), answer.text
        assert set(winners) == set(ids)

        # Every buyer's own list: one order per ticket in all, and it is the winner's.
        lists = await asyncio.gather(*(buyer.http.get("/api/orders") for buyer in buyers))
        orders = [order for answer in lists for order in answer.json()["items"]]
        assert Counter(o["ticket"]["id"] for o in orders) == Counter(ids)
        assert {o["ticket"]["id"]: o["id"] for o in orders if o["status"] == "created"} == {
            ticket_id: order["id"] for ticket_id, order in winners.items()
        }
        locked = await asyncio.gather(*(ticket_when(seller, t, "locked") for t in winners))
        assert [t["orderId"] for t in locked] == [o["id"] for o in winners.values()]


# -- 2. No edits while locked -------------------------------------------------------------
async def test_price_edit_is_refused_once_a_buyer_holds_the_lock(stack: Stack) -> None:
    async with Bot(stack.url, "seller") as seller, Bot(stack.url, "buyer") as buyer:
        ticket_id = await listed(seller, 5_000)
        order = await buyer.buy(ticket_id)
        assert order.status_code == 201, order.text

        edits = await asyncio.gather(
            *(seller.edit(ticket_id, price=price(9_000 + i)) for i in range(5)),
            seller.edit(ticket_id, title="Renamed"),
            seller.http.put(f"/api/tickets/{ticket_id}", json={"price": price(1)}),
        )
        for edit in edits:
            assert edit.status_code == 409, edit.text
            assert "locked" in message(edit), edit.text

        locked = await ticket_when(seller, ticket_id, "locked")
        assert locked["price"] == price(5_000) and locked["title"] == "Front row"
        assert (await buyer.order(order.json()["id"]))["price"] == price(5_000)

        # Cancelling unlocks: the seller may edit again (once the tickets service has
        # heard of the cancellation).
        cancelled = await cancel(buyer, order.json()["id"])
        assert cancelled.status_code == 200, cancelled.text
        edited = await eventually(
            lambda: seller.edit(ticket_id, price=price(6_000)),
            lambda r: r.status_code != 409,
            timeout=SETTLE_S,
        )
        assert edited.status_code == 200, edited.text
        assert edited.json()["price"] == price(6_000)


async def test_price_edit_and_purchase_never_interleave(stack: Stack) -> None:
    old = 4_000
    async with Bot(stack.url, "seller") as seller, crowd(stack.url, "racer", 3) as buyers:
        ids = await listed_many(seller, [old] * 20)
        new = {ticket_id: 6_000 + i for i, ticket_id in enumerate(ids)}

        async def race(
            position: int, ticket_id: str
        ) -> tuple[httpx.Response, list[httpx.Response]]:
            calls = [buyer.buy(ticket_id) for buyer in buyers]
            # The edit goes first, in the middle or last, round after round.
            calls.insert(position % 4, seller.edit(ticket_id, price=price(new[ticket_id])))
            answers = await asyncio.gather(*calls)
            edit = answers.pop(position % 4)
            return edit, answers

        rounds = await asyncio.gather(*(race(i, ticket_id) for i, ticket_id in enumerate(ids)))

        async def verify(ticket_id: str, edit: httpx.Response, buys: list[httpx.Response]) -> None:
            assert edit.status_code in (200, 409), edit.text
            assert all(b.status_code in (201, 409) for b in buys), [b.text for b in buys]
            orders = [b.json() for b in buys if b.status_code == 201]
            assert len(orders) <= 1, orders
            if edit.status_code == 200:
                # The edit committed before any lock: whoever locked after it pays it.
                assert edit.json()["price"] == price(new[ticket_id])
                committed = new[ticket_id]
            else:
                # Refused: a buyer held the lock first, at the old price.
                assert "locked" in message(edit), edit.text
                assert len(orders) == 1, [b.text for b in buys]
                committed = old
            for order in orders:
                assert order["price"] == price(committed), (edit.text, order)
            final = await ticket_when(seller, ticket_id, "locked" if orders else "available")
            assert final["price"] == price(committed)
            if orders:
                assert final["orderId"] == orders[0]["id"]

        await asyncio.gather(*(verify(t, *r) for t, r in zip(ids, rounds, strict=True)))


# -- 3. The buyer pays the price they locked ----------------------------------------------
async def test_purchase_right_after_an_edit_gets_the_new_price_or_409(
    stack: Stack, stripe_url: str
) -> None:
    async with Bot(stack.url, "seller") as seller, crowd(stack.url, "buyer", 10) as buyers:
        ids = await listed_many(seller, [2_000] * len(buyers))

        async def edit_then_buy(i: int, ticket_id: str, buyer: User) -> httpx.Response:
            for amount in (3_000 + i, 7_000 + i):
                edit = await seller.edit(ticket_id, price=price(amount))
                assert edit.status_code == 200, edit.text
            return await buyer.buy(ticket_id)

        answers = await asyncio.gather(
            *(edit_then_buy(i, t, b) for i, (t, b) in enumerate(zip(ids, buyers, strict=True)))
        )

        paid: list[tuple[User, dict[str, Any], int]] = []
        for i, answer in enumerate(answers):
            if answer.status_code == 409:
                assert "price changed" in message(answer), answer.text
                continue
            assert answer.status_code == 201, answer.text
            assert answer.json()["price"] == price(7_000 + i), answer.text
            paid.append((buyers[i], answer.json(), 7_000 + i))

        await all_payable(seller, (order["id"] for _, order, _ in paid))
        payments = await asyncio.gather(*(b.pay(order["id"]) for b, order, _ in paid))

        ledger = await Ledger.read(stripe_url)

        async def verify(
            buyer: User, order: dict[str, Any], amount: int, payment: httpx.Response
        ) -> None:
            assert payment.status_code == 201, payment.text
            assert payment.json()["amount"] == price(amount)
            [intent] = ledger.intents(order["id"])
            assert (intent["status"], intent["amount"]) == ("succeeded", amount)
            await order_when(buyer, order["id"], "complete")

        await asyncio.gather(*(verify(*p, a) for p, a in zip(paid, payments, strict=True)))


# -- 4. Unlock on time --------------------------------------------------------------------
@pytest.mark.parametrize("lock_ttl", [2.0])
async def test_unpaid_order_expires_and_the_ticket_unlocks(stack: Stack, stripe_url: str) -> None:
    async with (
        Bot(stack.url, "seller") as seller,
        Bot(stack.url, "late") as late,
        Bot(stack.url, "next") as nxt,
    ):
        ticket_id = await listed(seller, 5_000)
        first = await late.buy(ticket_id)
        assert first.status_code == 201, first.text
        order = first.json()
        refused = await nxt.buy(ticket_id)
        assert refused.status_code == 409, refused.text

        expired = await order_when(late, order["id"], "expired")
        assert expired["cancelReason"] == "expired"
        unlocked = await ticket_when(seller, ticket_id, "available")
        assert unlocked["lockedUntil"] is None and unlocked["orderId"] is None

        await payable(seller, order["id"])
        too_late = await late.pay(order["id"])
        assert too_late.status_code == 409, too_late.text
        assert (await Ledger.read(stripe_url)).intents(order["id"]) == []

        second = await nxt.buy(ticket_id)
        assert second.status_code == 201, second.text
        assert second.json()["price"] == price(5_000)


@pytest.mark.parametrize("lock_ttl", [2.0])
async def test_lock_ttl_alone_frees_the_ticket_when_no_expiration_worker_runs(
    market_settings: Settings, stripe_url: str
) -> None:
    workerless = ("auth", "tickets", "orders", "payments")
    async with (
        running_stack(market_settings, only=workerless) as stack,
        Bot(stack.url, "seller") as seller,
        Bot(stack.url, "late") as late,
        Bot(stack.url, "next") as nxt,
    ):
        assert "expiration" not in stack.services
        ticket_id = await listed(seller, 5_000)
        first = await late.buy(ticket_id)
        assert first.status_code == 201, first.text

        # Refused while the key lives; taken once its TTL ran out.
        second = await eventually(
            lambda: nxt.buy(ticket_id), lambda r: r.status_code != 409, timeout=SETTLE_S
        )
        assert second.status_code == 201, second.text
        taken_ms = datetime.fromisoformat(second.json()["createdAt"]).timestamp() * 1000
        assert taken_ms >= first.json()["expiresAtMs"] - REDIS_CLOCK_SLACK_MS

        # The first buyer lost the ticket: paying now is refused and charges nothing.
        await payable(seller, first.json()["id"])
        too_late = await late.pay(first.json()["id"])
        assert too_late.status_code == 409, too_late.text
        assert (await Ledger.read(stripe_url)).intents(first.json()["id"]) == []

        await payable(seller, second.json()["id"])
        paid = await nxt.pay(second.json()["id"])
        assert paid.status_code == 201, paid.text
        sold = await ticket_when(seller, ticket_id, "sold")
        assert sold["ownerId"] == nxt.id


# -- 5. No double sale, no charge without a sale ------------------------------------------
PAY_STAGGER_S = (0.0, 0.01, 0.02, 0.03, 0.04)


@asynccontextmanager
async def pay_storm(
    stack: Stack, orders_count: int
) -> AsyncIterator[tuple[User, list[tuple[User, dict[str, Any], list[httpx.Response]]]]]:
    """Each buyer pays their own order five times at once (spread over ~40 ms, so the
    repeats land before, during and after the first one's charge)."""
    async with (
        Bot(stack.url, "seller") as seller,
        crowd(stack.url, "payer", orders_count) as buyers,
    ):
        ids = await listed_many(seller, [4_200] * len(buyers))
        bought = await asyncio.gather(*(b.buy(t) for b, t in zip(buyers, ids, strict=True)))
        assert all(answer.status_code == 201 for answer in bought), [a.text for a in bought]
        orders = [answer.json() for answer in bought]
        await all_payable(seller, (order["id"] for order in orders))

        async def pay_after(buyer: User, order: dict[str, Any], delay: float) -> httpx.Response:
            await asyncio.sleep(delay)
            return await buyer.pay(order["id"])

        answers = await asyncio.gather(
            *(
                pay_after(buyer, order, delay)
                for buyer, order in zip(buyers, orders, strict=True)
                for delay in PAY_STAGGER_S
            )
        )
        n = len(PAY_STAGGER_S)
        yield (
            seller,
            [
                (buyer, order, answers[n * i : n * i + n])
                for i, (buyer, order) in enumerate(zip(buyers, orders, strict=True))
            ],
        )


async def test_concurrent_payments_of_one_order_charge_once_and_sell_once(
    stack: Stack, stripe_url: str
) -> None:
    async with pay_storm(stack, 4) as (seller, races):
        ledger = await Ledger.read(stripe_url)

        async def verify(buyer: User, order: dict[str, Any], answers: list[httpx.Response]) -> None:
            codes = [answer.status_code for answer in answers]
            assert codes.count(201) <= 1, [a.text for a in answers]
            [intent] = ledger.intents(order["id"])
            assert (intent["status"], intent["amount"]) == ("succeeded", 4_200)
            assert len(ledger.charged(order["id"])) == 1
            done = await order_when(buyer, order["id"], "complete")
            assert done["cancelReason"] is None
            sold = await ticket_when(seller, order["ticket"]["id"], "sold")
            assert (sold["ownerId"], sold["orderId"]) == (buyer.id, order["id"])

        await asyncio.gather(*(verify(*race) for race in races))


async def test_repeated_payment_during_the_charge_is_answered_409(stack: Stack) -> None:
    """While the first payment of an order runs, every repeat is refused with 409."""
    async with Bot(stack.url, "seller") as seller, crowd(stack.url, "payer", 3) as buyers:
        ids = await listed_many(seller, [4_200] * len(buyers))
        bought = await asyncio.gather(*(b.buy(t) for b, t in zip(buyers, ids, strict=True)))
        orders = [answer.json() for answer in bought]
        await all_payable(seller, (order["id"] for order in orders))

        async def pay_and_repeat(buyer: User, order_id: str) -> list[httpx.Response]:
            first = asyncio.ensure_future(buyer.pay(order_id))
            repeats: list[asyncio.Future[httpx.Response]] = []
            while not first.done() and len(repeats) < 40:  # repeats while it charges
                repeats.append(asyncio.ensure_future(buyer.pay(order_id)))
                await asyncio.sleep(0.005)
            return [await first, *await asyncio.gather(*repeats)]

        races = await asyncio.gather(
            *(pay_and_repeat(b, o["id"]) for b, o in zip(buyers, orders, strict=True))
        )
        for answers in races:
            codes = Counter(answer.status_code for answer in answers)
            odd = [a.text for a in answers if a.status_code not in (201, 409)]
            assert codes == {201: 1, 409: len(answers) - 1}, (codes, odd)


@pytest.mark.parametrize("lock_ttl", [2.0])
async def test_payment_racing_the_deadline_sells_or_charges_nothing(
    stack: Stack, stripe_url: str
) -> None:
    offsets = (-0.5, -0.25, -0.1, -0.03, 0.0, 0.03, 0.1, 0.25)
    async with (
        Bot(stack.url, "seller") as seller,
        crowd(stack.url, "buyer", len(offsets)) as buyers,
    ):
        ids = await listed_many(seller, [3_300] * len(buyers))
        bought = await asyncio.gather(*(b.buy(t) for b, t in zip(buyers, ids, strict=True)))
        assert all(answer.status_code == 201 for answer in bought), [a.text for a in bought]
        orders = [answer.json() for answer in bought]
        await all_payable(seller, (order["id"] for order in orders))

        async def pay_near_deadline(buyer: User, order: dict[str, Any], offset: float) -> int:
            # Not a timing assertion: only spreads the attempts around the deadline.
            await asyncio.sleep(max(0.0, order["expiresAtMs"] / 1000 + offset - time.time()))
            return (await buyer.pay(order["id"])).status_code

        codes = await asyncio.gather(
            *(
                pay_near_deadline(b, o, off)
                for b, o, off in zip(buyers, orders, offsets, strict=True)
            )
        )

        ledger = await Ledger.read(stripe_url)

        async def verify(buyer: User, order: dict[str, Any], code: int) -> None:
            ticket_id = order["ticket"]["id"]
            assert code in (201, 409), code
            charges = ledger.charged(order["id"])
            if code == 201:
                await order_when(buyer, order["id"], "complete")
                assert len(charges) == 1 and charges[0]["amount"] == 3_300
                assert (await ticket_when(seller, ticket_id, "sold"))["ownerId"] == buyer.id
            else:
                final = await order_when(buyer, order["id"], "expired")
                assert final["cancelReason"] == "expired"
                assert ledger.intents(order["id"]) == []
                await ticket_when(seller, ticket_id, "available")

        await asyncio.gather(*(verify(*r) for r in zip(buyers, orders, codes, strict=True)))


async def test_declined_card_cancels_the_order_and_unlocks(stack: Stack, stripe_url: str) -> None:
    async with (
        Bot(stack.url, "seller") as seller,
        Bot(stack.url, "broke") as broke,
        Bot(stack.url, "next") as nxt,
    ):
        ticket_id = await listed(seller, 6_100)
        order = (await broke.buy(ticket_id)).json()
        await payable(seller, order["id"])

        declined = await broke.pay(order["id"], "pm_card_chargeCustomerFail")
        assert declined.status_code == 402, declined.text
        assert (await Ledger.read(stripe_url)).charged(order["id"]) == []

        cancelled = await order_when(broke, order["id"], "cancelled")
        assert cancelled["cancelReason"] == "payment_failed"
        await ticket_when(seller, ticket_id, "available")
        retried = await broke.pay(order["id"])
        assert retried.status_code == 409, retried.text
        assert (await Ledger.read(stripe_url)).charged(order["id"]) == []

        second = await nxt.buy(ticket_id)
        assert second.status_code == 201, second.text
        await payable(seller, second.json()["id"])
        paid = await nxt.pay(second.json()["id"])
        assert paid.status_code == 201, paid.text
        assert (await ticket_when(seller, ticket_id, "sold"))["ownerId"] == nxt.id


async def test_payment_after_cancel_is_refused_without_a_charge(
    stack: Stack, stripe_url: str
) -> None:
    async with Bot(stack.url, "seller") as seller, Bot(stack.url, "buyer") as buyer:
        ticket_id = await listed(seller, 2_500)
        order = (await buyer.buy(ticket_id)).json()
        await payable(seller, order["id"])
        cancelled = await cancel(buyer, order["id"])
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["cancelReason"] == "buyer"

        paid = await buyer.pay(order["id"])
        assert paid.status_code == 409, paid.text
        assert (await Ledger.read(stripe_url)).intents(order["id"]) == []
        await ticket_when(seller, ticket_id, "available")


async def test_cancel_racing_payment_never_both_cancels_and_charges(
    stack: Stack, stripe_url: str
) -> None:
    async with Bot(stack.url, "seller") as seller, crowd(stack.url, "buyer", 8) as buyers:
        ids = await listed_many(seller, [1_800] * len(buyers))
        bought = await asyncio.gather(*(b.buy(t) for b, t in zip(buyers, ids, strict=True)))
        orders = [answer.json() for answer in bought]
        await all_payable(seller, (order["id"] for order in orders))

        async def cancel_after(buyer: User, order_id: str, delay: float) -> httpx.Response:
            await asyncio.sleep(delay)
            return await cancel(buyer, order_id)

        async def race(i: int, buyer: User, order: dict[str, Any]) -> tuple[int, int]:
            # The cancel leaves 0 to 280 ms after the payment: either may win.
            cancelled, paid = await asyncio.gather(
                cancel_after(buyer, order["id"], 0.04 * i), buyer.pay(order["id"])
            )
            return cancelled.status_code, paid.status_code

        results = await asyncio.gather(
            *(race(i, b, o) for i, (b, o) in enumerate(zip(buyers, orders, strict=True)))
        )

        ledger = await Ledger.read(stripe_url)

        async def verify(buyer: User, order: dict[str, Any], codes: tuple[int, int]) -> None:
            cancel_code, pay_code = codes
            assert (cancel_code, pay_code) in ((200, 409), (409, 201)), (cancel_code, pay_code)
            final = await order_settled(buyer, order["id"])
            charges = ledger.charged(order["id"])
            ticket_id = order["ticket"]["id"]
            if cancel_code == 200:
                assert (final["status"], final["cancelReason"]) == ("cancelled", "buyer")
                assert ledger.intents(order["id"]) == []  # no charge was even attempted
                await ticket_when(seller, ticket_id, "available")
            else:
                assert final["status"] == "complete", final
                assert len(charges) == 1
                assert (await ticket_when(seller, ticket_id, "sold"))["ownerId"] == buyer.id

        await asyncio.gather(*(verify(*r) for r in zip(buyers, orders, results, strict=True)))


# -- 6. Sold means sold -------------------------------------------------------------------
async def test_sold_ticket_cannot_be_bought_or_edited_until_its_new_owner_relists_it(
    stack: Stack,
) -> None:
    async with (
        User(stack.url, "seller") as seller,
        User(stack.url, "owner") as owner,
        Bot(stack.url, "third") as third,
        crowd(stack.url, "late", 5) as latecomers,
    ):
        ticket_id = await listed(seller, 5_000)
        order = (await owner.buy(ticket_id)).json()
        await payable(seller, order["id"])
        paid = await owner.pay(order["id"])
        assert paid.status_code == 201, paid.text

        # At once (the lock says sold) and for everyone, however many race.
        refused = await asyncio.gather(
            *(person.buy(ticket_id) for person in [*latecomers, owner, seller])
        )
        assert [r.status_code for r in refused] == [409] * len(refused), [r.text for r in refused]
        first_edit = await seller.edit(ticket_id, price=price(1))
        assert first_edit.status_code in (403, 409), first_edit.text

        sold = await ticket_when(seller, ticket_id, "sold")
        assert sold["ownerId"] == owner.id and sold["price"] == price(5_000)
        edits = await asyncio.gather(
            seller.edit(ticket_id, price=price(1)), owner.edit(ticket_id, price=price(1))
        )
        assert [e.status_code for e in edits] == [403, 409], [e.text for e in edits]
        not_seller = await seller.http.post(
            f"/api/tickets/{ticket_id}/relist", json={"price": price(1)}
        )
        assert not_seller.status_code == 403, not_seller.text

        relisted = await owner.http.post(
            f"/api/tickets/{ticket_id}/relist", json={"price": price(8_800)}
        )
        assert relisted.status_code == 200, relisted.text
        assert relisted.json()["status"] == "available"
        assert relisted.json()["price"] == price(8_800)

        # Until the orders service hears of the resale it still says sold (409).
        resale = await eventually(
            lambda: third.buy(ticket_id), lambda r: r.status_code != 409, timeout=SETTLE_S
        )
        assert resale.status_code == 201, resale.text
        assert resale.json()["price"] == price(8_800)
        assert resale.json()["sellerId"] == owner.id
        await payable(owner, resale.json()["id"])
        paid_again = await third.pay(resale.json()["id"])
        assert paid_again.status_code == 201, paid_again.text
        resold = await eventually(
            lambda: third.ticket(ticket_id),
            lambda t: t["status"] == "sold" and t["ownerId"] == third.id,
            timeout=SETTLE_S,
        )
        assert resold["price"] == price(8_800)

"""Simulated sellers and buyers, each service called on its own port, and a tally of what
they did: operations by kind and outcome, latencies, and every 5xx or connection error
with when it happened (so a chaos test can tell errors caused by a kill from others)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import httpx

from tools.devstack.client import ApiClient
from wire.users import CurrentUserResponse

PASSWORD = "correct horse battery"
VISA = "pm_card_visa"
DECLINED = "pm_card_chargeCustomerFail"  # localstripe declines it at confirmation
_seq = itertools.count(1)


def outcome_of(response: httpx.Response | None) -> str:
    if response is None:
        return "conn"
    status = response.status_code
    if status < 300:
        return "ok"
    if status in (402, 403, 404, 409):
        return str(status)
    return "5xx" if status >= 500 else "4xx"


@dataclass(frozen=True)
class Failure:
    """A 5xx or a connection error: which call, what, and when (monotonic seconds)."""

    kind: str
    detail: str
    started: float
    ended: float


@dataclass
class Tally:
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    latencies_ms: defaultdict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    failures: list[Failure] = field(default_factory=list)
    unexpected: Counter[str] = field(default_factory=Counter)  # "kind status: message"

    def record(
        self, kind: str, response: httpx.Response | None, started: float, error: str = ""
    ) -> None:
        ended = time.monotonic()
        outcome = outcome_of(response)
        self.counts[kind, outcome] += 1
        self.latencies_ms[kind].append((ended - started) * 1000)
        if outcome in ("5xx", "conn"):
            detail = error if response is None else f"{response.status_code} {response.text[:160]}"
            self.failures.append(Failure(kind, detail, started, ended))
        elif outcome == "4xx":
            assert response is not None
            self.unexpected[f"{kind} {response.status_code}: {response.text[:160]}"] += 1

    def by_kind(self) -> dict[str, Counter[str]]:
        table: dict[str, Counter[str]] = defaultdict(Counter)
        for (kind, outcome), n in self.counts.items():
            table[kind][outcome] += n
        return dict(sorted(table.items()))

    def total(self) -> int:
        return sum(self.counts.values())


def ticket_body(price: int, rng: random.Random) -> dict[str, Any]:
    kind = rng.choice(["concert", "sport", "other"])
    return {
        "title": f"{kind.title()} seat {rng.randint(1, 999)}",
        "event": {
            "name": rng.choice(["The Band", "Derby", "Gala"]),
            "kind": kind,
            "venue": rng.choice(["Arena", "Stadium", "Hall"]),
            "startsAt": (datetime.now(UTC) + timedelta(days=rng.randint(2, 90))).isoformat(),
        },
        "price": {"amount": price, "currency": "usd"},
    }


class Shopper:
    """One user with a bearer token, calling each service directly (``ApiClient`` with the
    route table), every answer tallied."""

    def __init__(self, role: str, routes: dict[str, str], tally: Tally, timeout: float) -> None:
        self.name = f"{role}-{next(_seq)}"
        self.email = f"{self.name}@example.com"
        self.tally = tally
        self.api = ApiClient(routes=routes, timeout=timeout, observe=tally.record)
        self.id = ""
        self.tickets: list[str] = []  # what a seller listed and has not sold yet

    async def call(
        self, kind: str, method: str, path: str, *, json: Any = None, params: Any = None
    ) -> httpx.Response | None:
        """The answer, or None when the connection failed (tallied either way)."""
        try:
            return await self.api.request(method, path, json=json, params=params, kind=kind)
        except httpx.TransportError:
            return None

    async def sign_up(self, attempts: int = 20) -> None:
        """Sign up and take a bearer token (retried: the auth service may be busy)."""
        for _ in range(attempts):
            with contextlib.suppress(httpx.TransportError):
                signup = await self.api.sign_up(self.email, PASSWORD)
                if signup.status_code in (201, 409):
                    break
            await asyncio.sleep(0.5)
        for _ in range(attempts):
            with contextlib.suppress(httpx.TransportError):
                token = await self.api.take_token(self.email, PASSWORD)
                me = await self.api.current_user() if token.status_code == 200 else None
                if me is not None and me.status_code == 200:
                    user = CurrentUserResponse.model_validate_json(me.content).current_user
                    assert user is not None
                    self.id = user.id
                    return
            await asyncio.sleep(0.5)
        raise RuntimeError(f"{self.email} could not sign up")

    async def close(self) -> None:
        await self.api.close()


class Fate(StrEnum):
    """What a buyer does with an order it won."""

    PAY = "pay"
    DECLINE = "decline"
    CANCEL = "cancel"
    ABANDON = "abandon"  # lets the lock expire


@dataclass
class OrderSeen:
    """An order as its buyer saw it: what the API acknowledged must hold afterwards."""

    order_id: str
    ticket_id: str
    buyer_id: str
    fate: Fate
    acknowledged: str = ""  # "paid" (201), "declined" (402), "cancelled" (200)


@dataclass
class Market:
    """The operations of the workload; ``seller_step``/``buyer_step`` mix them."""

    rng: random.Random
    tally: Tally
    fates: dict[Fate, float]
    pay_attempts: int = 3  # a client retries a payment whose answer it lost
    orders: list[OrderSeen] = field(default_factory=list)
    # The last page of the market any buyer saw: buyers still try to buy what they know
    # of while the tickets service is down (the orders service does not need it).
    known: list[dict[str, Any]] = field(default_factory=list)

    # -- sellers ---------------------------------------------------------------------
    async def create_ticket(self, seller: Shopper) -> None:
        body = ticket_body(self.rng.randrange(1_000, 20_000, 50), self.rng)
        if self.rng.random() < 0.3:  # seats sold together: 2 to 4 of them
            first = self.rng.randint(1, 90)
            body["seats"] = [str(first + i) for i in range(self.rng.randint(2, 4))]
            body["split"] = self.rng.choice(["any", "pairs", "all"])
            response = await seller.call("create-seats", "POST", "/api/listings", json=body)
            if response is not None and response.status_code == 201:
                seller.tickets += [t["id"] for t in response.json()["tickets"]]
            return
        response = await seller.call("create", "POST", "/api/tickets", json=body)
        if response is not None and response.status_code == 201:
            seller.tickets.append(response.json()["id"])

    async def edit_price(self, seller: Shopper) -> None:
        ticket_id = self.rng.choice(seller.tickets)
        price = {"amount": self.rng.randrange(1_000, 20_000, 50), "currency": "usd"}
        response = await seller.call(
            "edit", "PATCH", f"/api/tickets/{ticket_id}", json={"price": price}
        )
        if response is not None and (
            response.status_code == 403 or (response.status_code == 409 and "sold" in response.text)
        ):  # sold: it belongs to its buyer now
            seller.tickets.remove(ticket_id)

    async def seller_step(self, seller: Shopper, keep_listed: int = 3) -> None:
        if len(seller.tickets) < keep_listed or self.rng.random() < 0.1:
            await self.create_ticket(seller)
        else:
            await self.edit_price(seller)
        if len(seller.tickets) > 2 * keep_listed:  # forget the oldest (most likely sold)
            del seller.tickets[0]

    # -- buyers ----------------------------------------------------------------------
    async def browse(self, buyer: Shopper, *, search: bool = False) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"status": "available", "sort": "newest", "pageSize": 20}
        kind = "list"
        if search:
            kind = "search"
            params |= {"q": self.rng.choice(["band", "derby", "gala", "arena", "seat"])}
        response = await buyer.call(kind, "GET", "/api/tickets", params=params)
        if response is not None and response.status_code == 200:
            items: list[dict[str, Any]] = response.json()["items"]
            if not search:
                self.known = items
        else:
            items = self.known
        return [t for t in items if t["ownerId"] != buyer.id]

    async def show(self, buyer: Shopper, ticket_id: str) -> None:
        await buyer.call("show", "GET", f"/api/tickets/{ticket_id}")

    async def order(self, buyer: Shopper, ticket: dict[str, Any]) -> OrderSeen | None:
        """The ticket, or (a seat sold with others) 1 or 2 seats of its listing."""
        if ticket.get("listingId"):
            body = {"listingId": ticket["listingId"], "quantity": self.rng.choice([1, 2, 2])}
            response = await buyer.call("order-seats", "POST", "/api/orders", json=body)
        else:
            body = {"ticketId": ticket["id"]}
            response = await buyer.call("order", "POST", "/api/orders", json=body)
        if response is None or response.status_code != 201:
            return None
        ticket_id = response.json()["ticket"]["id"]
        fate = self.rng.choices(list(self.fates), weights=list(self.fates.values()))[0]
        seen = OrderSeen(response.json()["id"], ticket_id, buyer.id, fate)
        self.orders.append(seen)
        return seen

    async def pay(self, buyer: Shopper, seen: OrderSeen) -> None:
        method = VISA if seen.fate is Fate.PAY else DECLINED
        kind = "pay" if seen.fate is Fate.PAY else "pay-declined"
        body = {"orderId": seen.order_id, "paymentMethodId": method}
        for _ in range(self.pay_attempts):
            response = await buyer.call(kind, "POST", "/api/payments", json=body)
            if response is not None and response.status_code == 201:
                seen.acknowledged = "paid"
                return
            if response is not None and response.status_code == 402:
                seen.acknowledged = "declined"
                return
            if response is not None and response.status_code < 500:
                return  # 409 (expired, in progress) or still processing: nothing to redo
            await asyncio.sleep(0.3)

    async def cancel(self, buyer: Shopper, seen: OrderSeen) -> None:
        response = await buyer.call("cancel", "DELETE", f"/api/orders/{seen.order_id}")
        if response is not None and response.status_code == 200:
            seen.acknowledged = "cancelled"

    async def settle(self, buyer: Shopper, seen: OrderSeen) -> None:
        if seen.fate in (Fate.PAY, Fate.DECLINE):
            await self.pay(buyer, seen)
        elif seen.fate is Fate.CANCEL:
            await self.cancel(buyer, seen)
        if self.rng.random() < 0.3:
            await buyer.call("order-show", "GET", f"/api/orders/{seen.order_id}")

    async def buyer_step(self, buyer: Shopper) -> None:
        tickets = await self.browse(buyer, search=self.rng.random() < 0.3)
        if not tickets:
            return
        ticket = self.rng.choice(tickets[:8])  # the newest few: buyers compete for them
        if self.rng.random() < 0.5:
            await self.show(buyer, ticket["id"])
        seen = await self.order(buyer, ticket)
        if seen is not None:
            await self.settle(buyer, seen)

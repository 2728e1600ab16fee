"""A small client of the public REST API, as a user (browser or bot) would drive it."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

PASSWORD = "correct horse battery"
_seq = itertools.count(1)


def ticket_body(price: int = 5_000, title: str = "Front row", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": title,
        "event": {
            "name": "The Band",
            "kind": "concert",
            "venue": "Arena",
            "startsAt": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
        },
        "price": {"amount": price, "currency": "usd"},
    }
    body.update(extra)
    return body


class User:
    def __init__(self, base_url: str, name: str) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=30)
        self.email = f"{name}-{next(_seq)}@example.com"
        self.id = ""

    async def __aenter__(self) -> User:
        response = await self.http.post(
            "/api/users/signup", json={"email": self.email, "password": PASSWORD}
        )
        assert response.status_code == 201, response.text
        self.id = response.json()["id"]
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.http.aclose()

    async def sell(self, price: int = 5_000, **extra: Any) -> dict[str, Any]:
        response = await self.http.post("/api/tickets", json=ticket_body(price, **extra))
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    async def buy(self, ticket_id: str) -> httpx.Response:
        return await self.http.post("/api/orders", json={"ticketId": ticket_id})

    async def pay(self, order_id: str, method: str = "pm_card_visa") -> httpx.Response:
        return await self.http.post(
            "/api/payments", json={"orderId": order_id, "paymentMethodId": method}
        )

    async def edit(self, ticket_id: str, **body: Any) -> httpx.Response:
        return await self.http.patch(f"/api/tickets/{ticket_id}", json=body)

    async def ticket(self, ticket_id: str) -> dict[str, Any]:
        response = await self.http.get(f"/api/tickets/{ticket_id}")
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    async def order(self, order_id: str) -> dict[str, Any]:
        response = await self.http.get(f"/api/orders/{order_id}")
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]


async def eventually[T](
    probe: Callable[[], Awaitable[T]], accept: Callable[[T], bool], timeout: float = 10.0
) -> T:
    """Poll ``probe`` until ``accept`` holds (events travel asynchronously)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await probe()
        if accept(value):
            return value
        if asyncio.get_running_loop().time() >= deadline:
            raise AssertionError(f"condition not met within {timeout}s; last value: {value!r}")
        await asyncio.sleep(0.05)

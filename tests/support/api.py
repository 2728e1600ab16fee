"""A small client of the public REST API, as a user (browser or bot) would drive it."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tools.devstack.client import ApiClient

PASSWORD = "correct horse battery"
_seq = itertools.count(1)


def ticket_body(price: int = 5_000, title: str = "Front row", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": title,
        "event": {
            "name": "The Band",
            "kind": "concert",
            "venue": "Arena",
            # One moment for the day (8 pm UTC, 30 days ahead): a test's tickets made with
            # the default event are for one event of the catalogue, however long it runs.
            "startsAt": (datetime.now(UTC) + timedelta(days=30))
            .replace(hour=20, minute=0, second=0, microsecond=0)
            .isoformat(),
        },
        "price": {"amount": price, "currency": "usd"},
    }
    body.update(extra)
    return body


class User:
    """A signed-up user with a browser's session cookie, on the one API client."""

    def __init__(self, base_url: str, name: str) -> None:
        self.api = ApiClient(base_url, timeout=30)
        self.http = self.api.http  # for requests the client has no method for
        self.email = f"{name}-{next(_seq)}@example.com"
        self.id = ""

    async def __aenter__(self) -> User:
        response = await self.api.sign_up(self.email, PASSWORD)
        assert response.status_code == 201, response.text
        self.id = response.json()["id"]
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.api.close()

    async def sell(self, price: int = 5_000, **extra: Any) -> dict[str, Any]:
        response = await self.api.sell(ticket_body(price, **extra))
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    async def buy(self, ticket_id: str) -> httpx.Response:
        return await self.api.buy(ticket_id)

    async def pay(self, order_id: str, method: str = "pm_card_visa") -> httpx.Response:
        return await self.api.pay(order_id, method)

    async def edit(self, ticket_id: str, **body: Any) -> httpx.Response:
        return await self.api.edit(ticket_id, body)

    async def ticket(self, ticket_id: str) -> dict[str, Any]:
        response = await self.api.ticket(ticket_id)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    async def order(self, order_id: str) -> dict[str, Any]:
        response = await self.api.order(order_id)
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

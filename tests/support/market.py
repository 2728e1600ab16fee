"""Steps of the marketplace shared by the API tests: ordering once the orders service has
seen a ticket, buying outright, and checking the common error structure."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.api import User, eventually


async def order_when_seen(buyer: User, ticket_id: str) -> httpx.Response:
    """POST /api/orders once the orders service's copy of the ticket exists (not 404)."""
    return await eventually(lambda: buyer.buy(ticket_id), lambda r: r.status_code != 404)


async def place_order(buyer: User, ticket_id: str) -> dict[str, Any]:
    response = await order_when_seen(buyer, ticket_id)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def buy_outright(buyer: User, ticket_id: str) -> dict[str, Any]:
    """Order and pay; return the order once the ticket is sold to ``buyer``."""
    order = await place_order(buyer, ticket_id)
    paid = await buyer.pay(order["id"])
    assert paid.status_code == 201, paid.text
    await eventually(
        lambda: buyer.ticket(ticket_id),
        lambda t: t["status"] == "sold" and t["ownerId"] == buyer.id,
    )
    return order


def error_items(response: httpx.Response, status: int) -> list[dict[str, Any]]:
    """The response's error items, checked to be ``{"errors": [{"message", "field"?}]}``."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"errors"}, body
    items: list[dict[str, Any]] = body["errors"]
    assert items, body
    for item in items:
        assert isinstance(item["message"], str) and item["message"], item
        assert item.get("field") is None or isinstance(item["field"], str), item
    return items


def error_fields(response: httpx.Response, status: int) -> list[str | None]:
    return [item.get("field") for item in error_items(response, status)]

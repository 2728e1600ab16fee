"""A small market to attack — three users, a ticket of each state, an open and a paid
order — and its state as the rightful users see it, to show an attack changed nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tests.support.api import PASSWORD, User, eventually
from tests.support.market import buy_outright, place_order
from tests.support.stack import Stack


@dataclass(frozen=True)
class World:
    """Three users and something of each kind to attack."""

    seller: User
    buyer: User
    other: User
    free_ticket: str  # the seller's, available
    locked_ticket: str  # the seller's, locked by the buyer's open order
    sold_ticket: str  # bought (and paid) by the buyer
    open_order: str  # the buyer's, unpaid
    paid_order: str  # the buyer's, paid
    event: str  # the event of the seller's tickets

    @property
    def users(self) -> dict[str, User]:
        return {"seller": self.seller, "buyer": self.buyer, "other": self.other}


async def build_world(seller: User, buyer: User, other: User) -> World:
    free = await seller.sell(5_000, title="Free")
    locked = await seller.sell(6_000, title="Locked")
    sold = await seller.sell(7_000, title="Sold")
    open_order = await place_order(buyer, locked["id"])
    paid_order = await buy_outright(buyer, sold["id"])
    world = World(seller, buyer, other, free["id"], locked["id"], sold["id"],
                  open_order["id"], paid_order["id"], free["event"]["id"])  # fmt: skip
    # Let every event land, so that the state compared below only changes by our requests.
    await eventually(lambda: buyer.order(world.paid_order), lambda o: o["status"] == "complete")
    await eventually(lambda: buyer.ticket(world.locked_ticket), lambda t: t["status"] == "locked")
    for ticket_id in (world.free_ticket, world.locked_ticket, world.sold_ticket):
        await eventually(
            lambda ticket_id=ticket_id: buyer.ticket(ticket_id),  # type: ignore[misc]
            lambda t: t["sellerName"] is not None,
        )
    return world


async def snapshot(world: World) -> dict[str, Any]:
    """Everything an attack could change, as the rightful users see it."""
    state: dict[str, Any] = {}

    async def read(name: str, user: User, path: str) -> None:
        response = await user.http.get(path)
        state[name] = (response.status_code, response.json())

    for name, user in world.users.items():
        await read(f"{name}:currentuser", user, "/api/users/currentuser")
        await read(f"{name}:tickets/mine", user, "/api/tickets/mine")
        await read(f"{name}:orders", user, "/api/orders")
        signin = await user.http.post(
            "/api/users/token", json={"email": user.email, "password": PASSWORD}
        )
        state[f"{name}:password-still-works"] = signin.status_code
    for ticket_id in (world.free_ticket, world.locked_ticket, world.sold_ticket):
        await read(f"ticket:{ticket_id}", world.buyer, f"/api/tickets/{ticket_id}")
    for status in ("available", "locked", "sold"):
        await read(f"market:{status}", world.other, f"/api/tickets?status={status}")
    await read("payment:paid", world.buyer, f"/api/payments/{world.paid_order}")
    await read("payment:open", world.buyer, f"/api/payments/{world.open_order}")
    return state


def differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [name for name in before if before[name] != after.get(name)]


async def documented_operations(stack: Stack) -> dict[tuple[str, str], dict[str, Any]]:
    """Every operation the running services document: (METHOD, path) -> operation."""
    operations: dict[tuple[str, str], dict[str, Any]] = {}
    async with httpx.AsyncClient(timeout=30) as http:
        for url in stack.services.values():
            response = await http.get(f"{url}/openapi.json")
            assert response.status_code == 200, response.text
            for path, methods in response.json()["paths"].items():
                for method, operation in methods.items():
                    operations[(method.upper(), path)] = operation
    return operations

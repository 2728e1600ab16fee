"""The demo data loader, through the public API of the REST services."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.support.stack import Stack
from tools.devstack.seed import BUYER, PASSWORD, SELLER, TICKETS, DemoUser, seed

pytestmark = pytest.mark.integration


async def test_seed_lists_the_demo_tickets_once(stack: Stack) -> None:
    assert await asyncio.to_thread(seed, stack.url) == len(TICKETS) == 6
    assert await asyncio.to_thread(seed, stack.url) == 0  # run again: nothing new

    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        signed_in = await http.post(
            "/api/users/signin", json={"email": SELLER.email, "password": PASSWORD}
        )
        assert signed_in.status_code == 200, signed_in.text
        mine = (await http.get("/api/tickets/mine")).json()["items"]
    assert sorted(ticket["title"] for ticket in mine) == sorted(row[0] for row in TICKETS)
    assert {ticket["sellerName"] for ticket in mine} == {SELLER.name}


@pytest.mark.parametrize("user", [SELLER, BUYER], ids=["seller", "buyer"])
async def test_demo_users_can_sign_in_after_seeding(stack: Stack, user: DemoUser) -> None:
    await asyncio.to_thread(seed, stack.url)
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        response = await http.post(
            "/api/users/signin", json={"email": user.email, "password": PASSWORD}
        )
    assert response.status_code == 200, response.text
    assert (response.json()["email"], response.json()["displayName"]) == (user.email, user.name)

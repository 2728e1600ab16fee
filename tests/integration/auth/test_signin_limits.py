"""Sign-in, sign-up and token limits: counted before the password is checked, per
(email, address) in growing windows and per address — never a lock the owner cannot escape.

Requests come from different loopback addresses (127.0.0.x: all of 127/8 is this machine),
straight to the auth service, which sees each one as the client's address."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from backend.auth.app import create_app
from backend.common.settings import Settings
from backend.payments.routes import CARD_SETUP_PER_ADDRESS
from tests.support.api import User
from tests.support.servers import serve

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"
EMAIL = "ada@example.com"
WRONG = {"email": EMAIL, "password": "wrong password"}
RIGHT = {"email": EMAIL, "password": PASSWORD}


@asynccontextmanager
async def from_address(base_url: str, address: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.AsyncHTTPTransport(local_address=address)
    async with httpx.AsyncClient(base_url=base_url, transport=transport, timeout=30) as http:
        yield http


@asynccontextmanager
async def auth_service(settings: Settings) -> AsyncIterator[str]:
    async with serve(create_app(settings)) as url:
        yield url


async def sign_up(base_url: str, email: str = EMAIL, address: str = "127.0.0.200") -> None:
    async with from_address(base_url, address) as http:
        response = await http.post("/api/users/signup", json={"email": email, "password": PASSWORD})
        assert response.status_code == 201, response.text


async def test_parallel_guesses_get_at_most_the_quota_verified_and_then_not_the_right_one(
    settings: Settings,
) -> None:
    async with auth_service(settings) as url:
        await sign_up(url)
        async with from_address(url, "127.0.0.2") as stranger:
            answers = await asyncio.gather(
                *(stranger.post("/api/users/signin", json=WRONG) for _ in range(24))
            )
            statuses = Counter(answer.status_code for answer in answers)
            # Only the first N (SIGNIN_MAX_FAILURES) were let through to the password check.
            assert statuses == {401: settings.signin_max_failures, 429: 24 - 5}, statuses
            refused = next(a for a in answers if a.status_code == 429)
            assert int(refused.headers["retry-after"]) > 0
            assert refused.json()["errors"][0]["message"].startswith("Too many sign-in attempts")
            # The right password, once over the limit, is not even checked.
            right = await stranger.post("/api/users/signin", json=RIGHT)
            assert right.status_code == 429
            token = await stranger.post("/api/users/token", json=RIGHT)
            assert token.status_code == 429


async def test_a_burst_with_the_right_password_last_does_not_get_in(settings: Settings) -> None:
    async with auth_service(settings) as url:
        await sign_up(url)
        async with from_address(url, "127.0.0.3") as stranger:
            guesses = [stranger.post("/api/users/signin", json=WRONG) for _ in range(15)]
            answers = await asyncio.gather(*guesses, stranger.post("/api/users/signin", json=RIGHT))
            # Whichever N reached the check first were verified; every other was refused.
            assert sum(a.status_code in (200, 401) for a in answers) == 5
            assert sum(a.status_code == 429 for a in answers) == 11


async def test_the_owner_signs_in_from_their_address_while_a_stranger_is_throttled(
    settings: Settings,
) -> None:
    async with auth_service(settings) as url:
        await sign_up(url)
        async with (
            from_address(url, "127.0.0.4") as stranger,
            from_address(url, "127.0.0.5") as owner,
        ):
            statuses = [
                (await stranger.post("/api/users/signin", json=WRONG)).status_code for _ in range(8)
            ]
            assert statuses == [401] * 5 + [429] * 3
            signed_in = await owner.post("/api/users/signin", json=RIGHT)
            assert signed_in.status_code == 200, signed_in.text
            assert signed_in.headers["ratelimit-limit"] == "5"
            # The owner's success cleared the owner's count only: the stranger stays out.
            assert (await stranger.post("/api/users/signin", json=RIGHT)).status_code == 429


async def test_the_wait_grows_the_longer_an_address_keeps_guessing(settings: Settings) -> None:
    # Windows of 2 s, 30 s and 480 s: 5 attempts in 2 s, 10 in 30 s, 20 in 8 min. Each round
    # is fired at once, so how long the checks take (a loaded machine) changes nothing.
    settings = settings.model_copy(update={"signin_window_seconds": 2})
    async with auth_service(settings) as url:
        await sign_up(url)
        async with from_address(url, "127.0.0.6") as stranger:
            waits: list[int] = []
            for _round in range(3):
                answers = await asyncio.gather(
                    *(stranger.post("/api/users/signin", json=WRONG) for _ in range(6))
                )
                refused = [a for a in answers if a.status_code == 429]
                assert refused, [a.status_code for a in answers]
                waits.append(max(int(a.headers["retry-after"]) for a in refused))
                await asyncio.sleep(2.2)  # the shortest window passes
            # First the 2 s window holds the address back, then the 30 s one.
            assert waits[0] <= 2
            assert waits[-1] > 10, waits


async def test_a_success_clears_the_owners_own_typos(settings: Settings) -> None:
    async with auth_service(settings) as url:
        await sign_up(url)
        async with from_address(url, "127.0.0.7") as owner:
            for _ in range(4):
                assert (await owner.post("/api/users/signin", json=WRONG)).status_code == 401
            assert (await owner.post("/api/users/signin", json=RIGHT)).status_code == 200
            # Counted afresh: four more typos are still answered (not 429).
            for _ in range(4):
                assert (await owner.post("/api/users/signin", json=WRONG)).status_code == 401


async def test_sign_ups_are_limited_per_address(settings: Settings) -> None:
    settings = settings.model_copy(update={"signup_address_limit": 4})
    async with auth_service(settings) as url:
        async with from_address(url, "127.0.0.8") as http:
            answers = await asyncio.gather(
                *(
                    http.post(
                        "/api/users/signup",
                        json={"email": f"u{i}@example.com", "password": PASSWORD},
                    )
                    for i in range(10)
                )
            )
            assert Counter(a.status_code for a in answers) == {201: 4, 429: 6}
        async with from_address(url, "127.0.0.9") as elsewhere:
            other = await elsewhere.post(
                "/api/users/signup", json={"email": "late@example.com", "password": PASSWORD}
            )
            assert other.status_code == 201, other.text


async def test_tokens_are_limited_per_address(settings: Settings) -> None:
    settings = settings.model_copy(update={"token_address_limit": 4})
    async with auth_service(settings) as url:
        emails = [f"bot{i}@example.com" for i in range(6)]
        for i, email in enumerate(emails):
            await sign_up(url, email, address=f"127.0.1.{i + 1}")
        async with from_address(url, "127.0.0.10") as bots:
            statuses = [
                (
                    await bots.post("/api/users/token", json={"email": e, "password": PASSWORD})
                ).status_code
                for e in emails
            ]
            assert statuses == [200] * 4 + [429] * 2


async def test_card_setups_are_limited_per_address(buyer: User) -> None:
    allowed = CARD_SETUP_PER_ADDRESS[0].amount
    statuses = Counter(
        [
            (await buyer.http.post("/api/payments/card-setup")).status_code
            for _ in range(allowed + 2)
        ]
    )
    assert statuses == {201: allowed, 429: 2}
    refused = await buyer.http.post("/api/payments/card-setup")
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert refused.json()["errors"][0]["message"].startswith("Too many card setups")

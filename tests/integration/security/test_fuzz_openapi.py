"""Fuzzing each service's own OpenAPI document with schemathesis: no 5xx, every 4xx in the
common error structure, every answer as documented (status, content type, schema).

Examples are bounded and seeded (``derandomize``), so a run is repeatable; the total is
printed in the terminal summary (``fuzz examples: …``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from argon2 import PasswordHasher

from backend.auth import passwords
from backend.common.settings import Settings
from tests.support.api import User
from tests.support.fuzzing import FuzzRun, FuzzTally, fuzz_service
from tests.support.live_fixtures import bearer_token
from tests.support.rest_stack import REST_SERVICES
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.integration

MAX_EXAMPLES = 50
FUZZED = ("auth", "tickets", "orders", "payments")


@pytest.fixture
async def rest_stack(market_settings: Settings) -> AsyncIterator[Stack]:
    settings = market_settings.model_copy(
        # Fuzzed sign-ins fail often: the throttle would soon answer every one with 429.
        update={"signin_max_failures": 1_000_000}
    )
    async with running_stack(settings, only=REST_SERVICES) as running:
        yield running


@pytest.fixture
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id at its cheapest: the fuzzer signs up and in hundreds of times, and the
    hashing's cost is not what is tested here (the services run in this process)."""
    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


@pytest.mark.parametrize("service", FUZZED)
@pytest.mark.usefixtures("cheap_password_hashing")
async def test_service_answers_fuzzed_requests_as_documented(
    rest_stack: Stack, service: str, fuzz_tally: FuzzTally
) -> None:
    async with User(rest_stack.url, "fuzzer") as user:
        token = await bearer_token(user)
        await user.sell()  # something to find, edit and order
    base_url = rest_stack.services[service]
    async with httpx.AsyncClient(timeout=30) as http:
        document = (await http.get(f"{base_url}/openapi.json")).json()
    run = FuzzRun(service, base_url, document, MAX_EXAMPLES)
    failures_before = len(fuzz_tally.failures)

    started = time.perf_counter()
    await asyncio.to_thread(fuzz_service, run, token=token, tally=fuzz_tally)
    fuzz_tally.seconds += time.perf_counter() - started

    assert fuzz_tally.examples[service] > 0
    assert fuzz_tally.failures[failures_before:] == []

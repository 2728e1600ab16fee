"""The public origin in front of the real services: no path leaves its prefix, no
service's operational route is reachable, and every answer carries the security headers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from backend.common.settings import Settings
from tests.integration.devstack.test_gateway import EXPECTED_HEADERS, raw_get
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.integration


@pytest.fixture
async def stack(settings: Settings) -> AsyncIterator[Stack]:
    async with running_stack(settings, only=("auth", "tickets")) as running:
        yield running


ESCAPES = [
    "/api/users/../../metrics",
    "/api/users/%2e%2e/%2e%2e/metrics",
    "/api/tickets/..%2f..%2freadyz",
    "/api/users/%2E%2E/%2E%2E/openapi.json",
    "/api/users//../../metrics",
    "//api/users/../../metrics",
    "/api/users\\..\\..\\metrics",
]


async def test_no_path_reaches_a_service_outside_its_prefix(stack: Stack) -> None:
    # The services do serve them, on their own (cluster-internal) addresses.
    async with httpx.AsyncClient() as direct:
        for path in ("/metrics", "/readyz"):
            assert (await direct.get(stack.services["auth"] + path)).status_code == 200
    for path in ESCAPES:
        status, _, body = await raw_get(stack.url, path)
        assert status == 400, (path, status, body[:200])
        assert b"http_requests_total" not in body and b"ready" not in body
    for path in ("/metrics", "/readyz", "/healthz", "/openapi.json"):
        status, _, body = await raw_get(stack.url, path)
        assert status == 404, (path, status, body[:200])
        # Under a prefix they are the service's own 404: it mounts them at its root only.
        status, _, body = await raw_get(stack.url, "/api/users" + path)
        assert status == 404, (path, status, body[:200])


async def test_api_answers_carry_the_security_headers(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.url) as http:
        answers = [
            await http.get("/api/users/currentuser"),
            await http.get("/api/tickets"),
            await http.get("/api/tickets/nope"),  # an error too
            await http.post("/api/users/signin", json={}),
        ]
    for answer in answers:
        for name, value in EXPECTED_HEADERS.items():
            assert answer.headers.get(name) == value, (answer.request.url, name)
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]

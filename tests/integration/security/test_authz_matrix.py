"""Authorization matrix: every protected REST endpoint and the live ``me`` topic, asked with
every kind of bad credential over both transports (cookie and Bearer), is refused — 401
for no or a bad session, 403 for another user's resource — in the common error structure,
and changes nothing.

The table is checked against the services' own OpenAPI documents: an endpoint declared
protected without a row here fails the test, and so does an endpoint that answers 401
without being declared protected. The live gateway has no ticket-scoped private topic
(``ticket:<id>`` is public), so ``me`` is its only protected topic.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.support.api import PASSWORD, User, ticket_body
from tests.support.errors import response_problem
from tests.support.live import LiveClient
from tests.support.live_fixtures import read_until, ws_url
from tests.support.security import (
    World,
    build_world,
    differences,
    documented_operations,
    snapshot,
)
from tests.support.stack import Stack
from tests.support.tokens import BAD_TOKENS, good_token

pytestmark = pytest.mark.integration

WELL_FORMED_UNKNOWN_ID = "0123456789abcdef01234567"


@dataclass(frozen=True)
class Row:
    """A protected endpoint: how to call it as an attacker, and whose resource it touches
    (None: a user's own data, "another user" does not apply)."""

    method: str
    path: str  # the OpenAPI path template
    target: Callable[[World], str]
    body: Callable[[World], dict[str, Any]] | None = None
    owner: Callable[[World], User] | None = None


ROWS = [
    Row("PATCH", "/api/users/me", lambda w: "/api/users/me",
        body=lambda w: {"displayName": "Mallory", "password": "stolen password",
                        "currentPassword": PASSWORD}),
    Row("POST", "/api/users/password", lambda w: "/api/users/password",
        body=lambda w: {"currentPassword": PASSWORD, "newPassword": "stolen password"}),
    Row("POST", "/api/tickets", lambda w: "/api/tickets", body=lambda w: ticket_body(1_234)),
    Row("GET", "/api/tickets/mine", lambda w: "/api/tickets/mine"),
    Row("POST", "/api/listings", lambda w: "/api/listings",
        body=lambda w: ticket_body(1_234, seats=["1", "2"]) | {"split": "pairs"}),
    Row("POST", "/api/events", lambda w: "/api/events",
        body=lambda w: {"name": "Mallory live", "kind": "concert", "venue": "Arena",
                        "startsAt": ticket_body()["event"]["startsAt"]}),
    # Operators only: any other user is refused 403 (tests/integration/tickets/test_events.py).
    Row("POST", "/api/events/{event_id}/status", lambda w: f"/api/events/{w.event}/status",
        body=lambda w: {"status": "cancelled"}),
    Row("PUT", "/api/tickets/{ticket_id}", lambda w: f"/api/tickets/{w.free_ticket}",
        body=lambda w: {"title": "Hijacked", "price": {"amount": 1, "currency": "usd"}},
        owner=lambda w: w.seller),
    Row("PATCH", "/api/tickets/{ticket_id}", lambda w: f"/api/tickets/{w.free_ticket}",
        body=lambda w: {"price": {"amount": 1, "currency": "usd"}}, owner=lambda w: w.seller),
    Row("POST", "/api/tickets/{ticket_id}/relist",
        lambda w: f"/api/tickets/{w.sold_ticket}/relist",
        body=lambda w: {"price": {"amount": 1, "currency": "usd"}}, owner=lambda w: w.buyer),
    Row("POST", "/api/orders", lambda w: "/api/orders",
        body=lambda w: {"ticketId": w.free_ticket}),
    Row("GET", "/api/orders", lambda w: "/api/orders"),
    Row("GET", "/api/orders/{order_id}", lambda w: f"/api/orders/{w.open_order}",
        owner=lambda w: w.buyer),
    Row("DELETE", "/api/orders/{order_id}", lambda w: f"/api/orders/{w.open_order}",
        owner=lambda w: w.buyer),
    Row("POST", "/api/payments", lambda w: "/api/payments",
        body=lambda w: {"orderId": w.open_order, "paymentMethodId": "pm_card_visa"},
        owner=lambda w: w.buyer),
    Row("POST", "/api/payments/card-setup", lambda w: "/api/payments/card-setup"),
    Row("GET", "/api/payments/{order_id}", lambda w: f"/api/payments/{w.paid_order}",
        owner=lambda w: w.buyer),
    Row("GET", "/api/payments/sales", lambda w: "/api/payments/sales"),
    Row("GET", "/api/payments/payout-account", lambda w: "/api/payments/payout-account"),
    Row("POST", "/api/payments/payout-account", lambda w: "/api/payments/payout-account"),
    Row("GET", "/api/payments/refunds", lambda w: f"/api/payments/refunds?eventId={w.event}"),
    Row("GET", "/api/tickets/{ticket_id}/code", lambda w: f"/api/tickets/{w.sold_ticket}/code",
        owner=lambda w: w.buyer),
    Row("POST", "/api/tickets/{ticket_id}/transfers",
        lambda w: f"/api/tickets/{w.sold_ticket}/transfers",
        body=lambda w: {"email": w.other.email}, owner=lambda w: w.buyer),
    Row("GET", "/api/transfers", lambda w: "/api/transfers"),
    Row("POST", "/api/transfers/{transfer_id}/accept",
        lambda w: f"/api/transfers/{WELL_FORMED_UNKNOWN_ID}/accept"),
    Row("DELETE", "/api/transfers/{transfer_id}",
        lambda w: f"/api/transfers/{WELL_FORMED_UNKNOWN_ID}"),
    Row("POST", "/api/checkins", lambda w: "/api/checkins", body=lambda w: {"code": "TKT1.x.y"}),
    Row("GET", "/api/events/{event_id}/scanner-kit",
        lambda w: f"/api/events/{w.event}/scanner-kit"),
    Row("POST", "/api/events/{event_id}/scanners", lambda w: f"/api/events/{w.event}/scanners",
        body=lambda w: {"email": w.other.email}),
]  # fmt: skip

# Bad credentials, each built for the user who *would* be allowed.
BAD = {
    "expired": BAD_TOKENS["expired"],
    "wrong-signature": BAD_TOKENS["wrong-signature"],
    "alg-none": BAD_TOKENS["alg-none"],
}
TRANSPORTS = ("bearer", "cookie")
WS_TRANSPORTS = ("bearer", "cookie", "auth-op")


def carrying(token: str | None, transport: str) -> dict[str, str]:
    if token is None:
        return {}
    if transport == "bearer":
        return {"Authorization": f"Bearer {token}"}
    return {"Cookie": f"session={token}"}


# -- the table against the services' declarations ------------------------------------------
async def undeclared_protection(
    stack: Stack, operations: dict[tuple[str, str], dict[str, Any]]
) -> list[str]:
    """Endpoints not declared protected that still answer 401 to an anonymous request."""
    found = []
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        for (method, path), operation in sorted(operations.items()):
            if operation.get("security"):
                continue
            concrete = path.replace("{ticket_id}", WELL_FORMED_UNKNOWN_ID).replace(
                "{order_id}", WELL_FORMED_UNKNOWN_ID
            )
            body: dict[str, Any] | None = {} if "requestBody" in operation else None
            response = await http.request(method, concrete, json=body)
            if response.status_code == 401:
                found.append(f"{method} {path}")
    return found


# -- the attacks ---------------------------------------------------------------------------------
async def attack_rest(stack: Stack, world: World, row: Row) -> list[tuple[str, str | None]]:
    """Every bad credential against ``row``: (case, what went wrong or None)."""
    legit = row.owner(world) if row.owner else world.buyer
    cases: list[tuple[str, str | None, set[int]]] = [("none", None, {401})]
    for transport in TRANSPORTS:
        for kind, make in BAD.items():
            cases.append((f"{kind}/{transport}", make(legit.id, legit.email), {401}))
        if row.owner is not None:
            stranger = good_token(world.other.id, world.other.email)
            cases.append((f"other-user/{transport}", stranger, {403}))
    results = []
    body = row.body(world) if row.body else None
    for case, token, expected in cases:
        transport = case.rpartition("/")[2]
        async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
            response = await http.request(
                row.method, row.target(world), json=body, headers=carrying(token, transport)
            )
        results.append((case, response_problem(response, expected)))
    return results


async def ws_refusal(stack: Stack, token: str | None, transport: str) -> str | None:
    """Subscribe to ``me`` with a bad credential: an ``error`` frame, never a snapshot."""
    headers = carrying(token, transport) if transport != "auth-op" else {}
    client = LiveClient(await connect(ws_url(stack.url), additional_headers=headers))
    try:
        if transport == "auth-op" and token is not None:
            await client.send(op="auth", token=token)
            [refused] = await read_until(client, lambda m: m.get("type") != "ping")
            if refused.get("type") != "error" or not refused.get("message"):
                return f"auth op answered {refused}"
        await client.subscribe("me")
        # A pong comes after whatever the subscribe caused: nothing is missed.
        await client.send(op="ping")
        seen = await read_until(client, lambda m: m.get("type") == "pong")
    finally:
        await client.close()
    answers = [m for m in seen if m.get("type") not in ("ping", "pong")]
    if [m.get("type") for m in answers] != ["error"]:
        return f"subscribing to me was answered {answers}"
    if set(answers[0]) != {"type", "message"} or not isinstance(answers[0]["message"], str):
        return f"the error frame is not {{type, message}}: {answers[0]}"
    return None


async def me_snapshot(stack: Stack, token: str, transport: str) -> str:
    """The ``me`` snapshot a valid token gets, as raw JSON."""
    headers = carrying(token, transport) if transport != "auth-op" else {}
    client = LiveClient(await connect(ws_url(stack.url), additional_headers=headers))
    try:
        if transport == "auth-op":
            await client.send(op="auth", token=token)
            await client.until("authenticated")
        await client.subscribe("me")
        snapshot = await client.until("snapshot", topic="me")
    finally:
        await client.close()
    return json.dumps(snapshot)


async def attack_live(stack: Stack, world: World) -> list[tuple[str, str | None]]:
    results = [("none", await ws_refusal(stack, None, "cookie"))]
    buyer = world.buyer
    for transport in WS_TRANSPORTS:
        for kind, make in BAD.items():
            token = make(buyer.id, buyer.email)
            results.append((f"{kind}/{transport}", await ws_refusal(stack, token, transport)))
        # Another user's valid session sees their own orders only, never the buyer's.
        own = await me_snapshot(stack, good_token(buyer.id, buyer.email), transport)
        theirs = await me_snapshot(stack, good_token(world.other.id, world.other.email), transport)
        problem: str | None = None
        if world.open_order not in own:
            problem = f"control: the buyer's own me snapshot lacks the order: {own}"
        elif world.open_order in theirs or world.paid_order in theirs:
            problem = f"another user's me snapshot shows the buyer's orders: {theirs}"
        results.append((f"other-user/{transport}", problem))
    return results


async def test_every_protected_endpoint_refuses_every_bad_credential_and_changes_nothing(
    stack: Stack, seller: User, buyer: User, other: User
) -> None:
    operations = await documented_operations(stack)
    protected = {key for key, operation in operations.items() if operation.get("security")}
    assert protected == {(row.method, row.path) for row in ROWS}, (
        "the matrix must have one row per protected endpoint, and only those"
    )
    assert await undeclared_protection(stack, operations) == []

    world = await build_world(seller, buyer, other)
    before = await snapshot(world)
    failures: list[str] = []
    ran = 0
    for row in ROWS:
        for case, problem in await attack_rest(stack, world, row):
            ran += 1
            if problem is not None:
                failures.append(f"{row.method} {row.path} [{case}]: {problem}")
        changed = differences(before, await snapshot(world))
        if changed:
            failures.append(f"{row.method} {row.path}: changed {changed}")
    for case, problem in await attack_live(stack, world):
        ran += 1
        if problem is not None:
            failures.append(f"WS /api/live topic me [{case}]: {problem}")
    changed = differences(before, await snapshot(world))
    if changed:
        failures.append(f"WS /api/live: changed {changed}")

    assert not failures, "\n".join(failures)
    owned = sum(1 for row in ROWS if row.owner is not None)
    rest_cases = len(ROWS) * (1 + len(TRANSPORTS) * len(BAD)) + owned * len(TRANSPORTS)
    assert ran == rest_cases + 1 + len(WS_TRANSPORTS) * (len(BAD) + 1)

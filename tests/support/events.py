"""The events catalogue as the tests drive it: an event's body, a listing for it, and an
operator made with the real command (``python -m backend.auth.roles``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from backend.common.settings import Settings
from tests.support.api import User, eventually
from tests.support.commands import run_command


def in_days(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).replace(second=0, microsecond=0).isoformat()


def event_body(name: str = "Rock Night", *, days: float = 10, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "performers": ["The Band"],
        "kind": "concert",
        "venue": {"name": "Arena", "city": "Lyon", "country": "fr", "timeZone": "Europe/Paris"},
        "startsAt": in_days(days),
    }
    return body | extra


def listing(event_id: str, price: int, **extra: Any) -> dict[str, Any]:
    return {"title": "Seat", "eventId": event_id, "price": {"amount": price, "currency": "usd"}} | (
        extra
    )


async def create_event(user: User, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
    response = await user.http.post("/api/events", json=body)
    assert response.status_code == status, response.text
    return response.json()  # type: ignore[no-any-return]


async def list_ticket(user: User, body: dict[str, Any]) -> dict[str, Any]:
    response = await user.http.post("/api/tickets", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def event(http: httpx.AsyncClient, event_id: str, **params: Any) -> dict[str, Any]:
    response = await http.get(f"/api/events/{event_id}", params=params)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def grant_operator(settings: Settings, user: User) -> None:
    told = await run_command(
        "backend.auth.roles", "grant", "operator", user.email, settings=settings
    )
    assert told.endswith(f"{user.email}: roles operator"), told


async def as_operator(settings: Settings, user: User) -> User:
    """``user`` made an operator, once the tickets service has heard of it."""
    await grant_operator(settings, user)
    ticket = await list_ticket(
        user, listing((await create_event(user, event_body("Probe")))["id"], 1)
    )

    async def refused_as_non_operator() -> int:
        response = await user.http.post(
            f"/api/events/{ticket['event']['id']}/status", json={"status": "postponed"}
        )
        return response.status_code

    await eventually(refused_as_non_operator, lambda status: status == 200)
    return user

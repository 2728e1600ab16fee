"""Roles are granted and taken away by the operator's command only
(``python -m backend.auth.roles``), never through the API."""

from __future__ import annotations

import pytest

from backend.common.settings import Settings
from tests.support.api import User, eventually
from tests.support.commands import run_command
from tests.support.market import error_fields

pytestmark = pytest.mark.integration

ROLES = "backend.auth.roles"


async def test_an_operator_is_made_and_unmade_by_the_command_only(
    seller: User, other: User, market_settings: Settings
) -> None:
    # The API has no way to it: the field is unknown.
    sneaky = await other.http.patch("/api/users/me", json={"roles": ["operator"]})
    assert error_fields(sneaky, 400) == ["roles"]
    response = await seller.http.post(
        "/api/events",
        json={"name": "Gig", "kind": "concert", "venue": "Club", "startsAt": "2099-01-01T20:00Z"},
    )
    event_id = response.json()["id"]

    async def postpone() -> int:
        answer = await other.http.post(
            f"/api/events/{event_id}/status", json={"status": "postponed"}
        )
        return answer.status_code

    assert await postpone() == 403
    granted = await run_command(ROLES, "grant", "operator", other.email, settings=market_settings)
    assert granted.endswith(f"{other.email}: roles operator")
    await eventually(postpone, lambda status: status == 200)
    revoked = await run_command(ROLES, "revoke", "operator", other.email, settings=market_settings)
    assert revoked.endswith(f"{other.email}: roles (none)")
    await eventually(postpone, lambda status: status == 403)

    unknown = await run_command(
        ROLES, "grant", "operator", "nobody@example.com", settings=market_settings, status=1
    )
    assert "No user has the e-mail address nobody@example.com" in unknown

"""Sessions outlive a restart of Redis (the local run's Redis keeps nothing): the auth
service writes every user's session generation back when it starts."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from backend.auth.app import create_app
from backend.common.settings import Settings
from tests.support.api import eventually
from tests.support.servers import serve

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"


async def test_a_token_works_again_once_the_auth_service_restarts_after_redis_lost_everything(
    settings: Settings, redis: Redis
) -> None:
    async with serve(create_app(settings)) as url, httpx.AsyncClient(base_url=url) as http:
        signup = {"email": "ada@example.com", "password": PASSWORD}
        assert (await http.post("/api/users/signup", json=signup)).status_code == 201
        token = http.cookies["session"]
    await redis.flushdb()  # Redis restarted without its data
    bearer = {"Authorization": f"Bearer {token}"}
    async with serve(create_app(settings)) as url, httpx.AsyncClient(base_url=url) as http:

        async def me() -> dict[str, Any]:
            body: dict[str, Any] = (await http.get("/api/users/currentuser", headers=bearer)).json()
            return body

        restored = await eventually(me, lambda body: body != {"currentUser": None})
        assert restored["currentUser"]["email"] == "ada@example.com"

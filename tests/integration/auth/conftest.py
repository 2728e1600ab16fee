from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from backend.auth.app import create_app
from backend.common.settings import Settings
from tests.support.servers import serve


@pytest.fixture
async def auth_url(settings: Settings) -> AsyncIterator[str]:
    async with serve(create_app(settings)) as url:
        yield url


@pytest.fixture
async def client(auth_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=auth_url, timeout=10) as http:
        yield http

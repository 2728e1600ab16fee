from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from backend.common.settings import Settings
from tests.support.stack import Stack, running_stack


@pytest.fixture
def market_settings(settings: Settings, stripe_url: str) -> Settings:
    return settings.model_copy(update={"stripe_api_base": stripe_url, "lock_ttl_seconds": 900.0})


@pytest.fixture
async def stack(market_settings: Settings) -> AsyncIterator[Stack]:
    async with running_stack(market_settings) as running:
        yield running

"""This folder's tests also reach the live gateway: the stack includes every service."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from backend.common.settings import Settings
from tests.support.stack import Stack, running_stack


@pytest.fixture
async def stack(market_settings: Settings) -> AsyncIterator[Stack]:
    async with running_stack(market_settings) as running:
        yield running

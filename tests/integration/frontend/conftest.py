"""The web app's API and live clients against the whole stack (live service included)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.stack import (
    Stack,
    every_service,  # noqa: F401 - the stack: every service
)
from ticketing_ui import api
from ticketing_ui.settings import ui_settings


@pytest.fixture
async def ui_api(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Stack]:
    """The web app's settings pointed at ``stack``'s gateway, with a client of this loop."""
    monkeypatch.setenv("API_URL", stack.url)
    monkeypatch.delenv("API_INGRESS", raising=False)
    ui_settings.cache_clear()
    api._client = None  # the pooled client binds to the loop it was first used in
    yield stack
    await _close_client()
    ui_settings.cache_clear()


async def _close_client() -> None:
    if api._client is not None:
        await api._client.aclose()
        api._client = None

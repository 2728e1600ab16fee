from __future__ import annotations

from tests.integration.marketplace.conftest import market_settings, stack

__all__ = ["market_settings", "stack"]

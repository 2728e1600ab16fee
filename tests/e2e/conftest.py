from __future__ import annotations

from tests.integration.marketplace.conftest import stack

__all__ = ["stack"]

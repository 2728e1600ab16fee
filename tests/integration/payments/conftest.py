"""The REST services behind the gateway, with the marketplace tests' settings, and users."""

from tests.integration.marketplace.conftest import market_settings
from tests.support.rest_stack import (
    anonymous,
    buyer,
    other,
    seller,
    short_lock_stack,
    sign_up,
    stack,
)

__all__ = [
    "anonymous",
    "buyer",
    "market_settings",
    "other",
    "seller",
    "short_lock_stack",
    "sign_up",
    "stack",
]

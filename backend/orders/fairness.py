"""Fair holds at the orders API: the hold policy and the rate limits of ``POST /api/orders``,
read from the settings (``MAX_OPEN_ORDERS_PER_USER``, ``REHOLD_COOLDOWN_SECONDS``,
``ORDER_RATE_PER_USER``, ``ORDER_RATE_PER_IP``, ``ORDER_RATE_WINDOW_SECONDS``)."""

from __future__ import annotations

from starlette.requests import Request

from backend.common.holds import HoldPolicy
from backend.common.rate_limits import Budget, Quota, client_address
from backend.common.runtime import runtime_of
from backend.common.settings import Settings

RATE_MESSAGE = "Too many orders in a short time; wait and try again"


def hold_policy(settings: Settings) -> HoldPolicy:
    return HoldPolicy(
        cap=settings.max_open_orders_per_user,
        cooldown_ms=settings.rehold_cooldown_seconds * 1000,
    )


def order_quotas(settings: Settings) -> tuple[Quota, Quota]:
    """Per user, then per IP address (several people may share one address)."""
    window = settings.order_rate_window_seconds
    return (
        Quota("orders-user", settings.order_rate_per_user, window),
        Quota("orders-ip", settings.order_rate_per_ip, window),
    )


async def spend_order_budget(request: Request, user_id: str) -> Budget:
    """Count one order attempt against the user's and the address' quotas (429 beyond)."""
    runtime = runtime_of(request)
    per_user, per_ip = order_quotas(runtime.settings)
    uses = [(per_user, user_id), (per_ip, client_address(request))]
    return await runtime.rate_limits.spend(uses, RATE_MESSAGE)

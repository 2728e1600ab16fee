"""Fair holds at the orders API: the hold policy and the rate limits of ``POST /api/orders``,
read from the settings (``MAX_OPEN_ORDERS_PER_USER``, ``REHOLD_COOLDOWN_SECONDS``,
``ORDER_RATE_PER_USER``, ``ORDER_RATE_PER_IP``, ``ORDER_RATE_WINDOW_SECONDS``).

Every ``POST /api/orders`` counts against its address (a flood of any kind); only attempts
to hold a ticket (a ticket known and for sale, not the buyer's own) count against the
user, so that a client waiting for a new listing to reach the orders service (404) or a
seller's own ticket (409) spends nothing of a buyer's budget.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from backend.common.holds import HoldPolicy
from backend.common.rate_limits import Budget, Quota, RateLimiter, client_address
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


class OrderLimits:
    """The budgets one ``POST /api/orders`` spends; the tightest is told to the client."""

    def __init__(self, request: Request, user_id: str) -> None:
        runtime = runtime_of(request)
        self._limiter: RateLimiter = runtime.rate_limits
        self._per_user, self._per_ip = order_quotas(runtime.settings)
        self._user_id = user_id
        self._address = client_address(request)
        self._tightest: Budget | None = None

    async def _spend(self, quota: Quota, who: str) -> None:
        budget = await self._limiter.spend([(quota, who)], RATE_MESSAGE)
        if self._tightest is None or budget.remaining < self._tightest.remaining:
            self._tightest = budget

    async def spend_address(self) -> None:
        await self._spend(self._per_ip, self._address)

    async def spend_user(self) -> None:
        await self._spend(self._per_user, self._user_id)

    def headers(self) -> dict[str, str]:
        return {} if self._tightest is None else self._tightest.headers()

    def apply(self, response: Response) -> Response:
        response.headers.update(self.headers())
        return response

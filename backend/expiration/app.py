"""The expiration worker: fires ``OrderExpired`` at each unpaid order's deadline.

It serves only the operational routes (health, readiness, metrics, OpenAPI).
"""

from __future__ import annotations

from starlette.applications import Starlette

from backend.common.runtime import Runtime
from backend.common.settings import Settings
from backend.common.web import Wiring, service_app
from backend.expiration.handlers import ExpirationHandlers
from backend.expiration.scheduler import ExpirationScheduler

SERVICE = "expiration"


def wire(runtime: Runtime) -> Wiring:
    scheduler = ExpirationScheduler(runtime.redis, runtime.keys)
    return Wiring(
        subscriptions=ExpirationHandlers(scheduler).subscriptions(),
        workers={"scheduler": scheduler.run},
    )


def create_app(settings: Settings | None = None) -> Starlette:
    return service_app(SERVICE, settings or Settings(), endpoints=[], documents=[], wiring=wire)

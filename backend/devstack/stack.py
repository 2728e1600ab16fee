"""The services of the marketplace and the public path prefixes each one serves.

The local runner, the gateway and the deploy checks read this one list.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    name: str
    factory: str
    prefixes: tuple[str, ...]


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("auth", "backend.auth.app:create_app", ("/api/users",)),
    ServiceSpec("tickets", "backend.tickets.app:create_app", ("/api/tickets",)),
    ServiceSpec("orders", "backend.orders.app:create_app", ("/api/orders",)),
    ServiceSpec("payments", "backend.payments.app:create_app", ("/api/payments",)),
    ServiceSpec("expiration", "backend.expiration.app:create_app", ()),
    ServiceSpec("live", "backend.live.app:create_app", ("/api/live",)),
)

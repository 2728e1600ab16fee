"""The services of the marketplace and the app factory each one runs.

The local runner, the test stacks and the deploy checks read this one list; which paths
each serves is the Ingress's to say (``deploy/k8s/ingress.yaml``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    name: str
    factory: str


# The Ingress manifest: the route table of the gateway and of the web app.
INGRESS = Path(__file__).resolve().parents[2] / "deploy/k8s/ingress.yaml"

SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("auth", "backend.auth.app:create_app"),
    ServiceSpec("tickets", "backend.tickets.app:create_app"),
    ServiceSpec("orders", "backend.orders.app:create_app"),
    ServiceSpec("payments", "backend.payments.app:create_app"),
    ServiceSpec("expiration", "backend.expiration.app:create_app"),
    ServiceSpec("live", "backend.live.app:create_app"),
)

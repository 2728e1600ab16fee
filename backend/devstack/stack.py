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
)

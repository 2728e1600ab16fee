"""The marketplace as separate processes, as ``tools/dev.py`` runs it, for chaos and soak:
a private redis-server, the mongoeco wire server and localstripe on free loopback ports,
then every service through the one process launcher (``tools.devstack.services``).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ticketing_ui.ingress import read_ingress
from tools.devstack.processes import Child, start_stand_ins
from tools.devstack.services import FACTORIES, ServiceProcesses
from tools.devstack.stack import INGRESS

JWT_KEY = "chaos-jwt-key-0123456789abcdef0123456789abcdef"
STRIPE_SECRET_KEY = "sk_test_localstripe"


@dataclass
class ProcessStack:
    logs: Path
    namespace: str
    infra: list[Child] = field(default_factory=list)
    processes: ServiceProcesses | None = None

    @property
    def services(self) -> ServiceProcesses:
        assert self.processes is not None, "start_infra first"
        return self.processes

    @property
    def env(self) -> dict[str, str]:
        return self.services.env

    @property
    def redis_url(self) -> str:
        return self.env["REDIS_URL"]

    @property
    def mongo_url(self) -> str:
        return self.env["MONGO_URL"]

    @property
    def stripe_url(self) -> str:
        return self.env["STRIPE_API_BASE"]

    def routes(self) -> dict[str, str]:
        """Public API path prefix -> the base URL of the service that serves it."""
        return {
            route.prefix: self.services.url(route.service)
            for route in read_ingress(INGRESS)
            if route.service in FACTORIES
        }

    def start_infra(self, settings: Mapping[str, str]) -> None:
        env = (
            os.environ.copy()
            | start_stand_ins(self.logs, self.infra)
            | {
                "APP_ENV": "development",
                "STRIPE_SECRET_KEY": STRIPE_SECRET_KEY,
                "JWT_KEY": JWT_KEY,
                "NAMESPACE": self.namespace,
                "LOG_LEVEL": "WARNING",
                **settings,
            }
        )
        self.processes = ServiceProcesses(self.logs, env)

    async def start_services(self, within_s: float) -> None:
        self.services.spawn_all()
        await self.services.wait_ready(within_s=within_s)

    def stop(self) -> None:
        """SIGTERM (then SIGKILL) every child started here, services first."""
        if self.processes is not None:
            self.processes.stop()
        for child in reversed(self.infra):
            with contextlib.suppress(Exception):
                child.stop()
        self.infra.clear()


@contextlib.contextmanager
def process_stack(
    logs: Path, namespace: str, settings: Mapping[str, str]
) -> Iterator[ProcessStack]:
    """Infrastructure started; the caller starts the services (``start_services``)."""
    logs.mkdir(parents=True, exist_ok=True)
    stack = ProcessStack(logs=logs, namespace=namespace)
    try:
        stack.start_infra(settings)
        yield stack
    finally:
        stack.stop()

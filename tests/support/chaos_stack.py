"""The marketplace as separate processes, as ``tools/dev.py`` runs it, for chaos and soak.

A private redis-server, the mongoeco wire server and localstripe on free loopback ports,
then every service as its own ``uvicorn --factory`` process on a port of its own. A
service can be killed with SIGKILL and started again on the same port. Only processes
started here are ever signalled, by their own PID.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from ticketing_ui.ingress import read_ingress

from tools.devstack.processes import Child, free_port, start_mongo, start_redis, start_stripe
from tools.devstack.stack import INGRESS, SERVICES

ROOT = Path(__file__).resolve().parents[2]
JWT_KEY = "chaos-jwt-key-0123456789abcdef0123456789abcdef"
STRIPE_SECRET_KEY = "sk_test_localstripe"
FACTORIES = {spec.name: spec.factory for spec in SERVICES}


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process (``VmRSS`` in /proc), None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        return None
    return None


@dataclass
class ProcessStack:
    logs: Path
    namespace: str
    env: dict[str, str] = field(default_factory=dict)
    infra: list[Child] = field(default_factory=list)
    services: dict[str, Child] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    starts: Counter[str] = field(default_factory=Counter)
    kills: Counter[str] = field(default_factory=Counter)

    @property
    def redis_url(self) -> str:
        return self.env["REDIS_URL"]

    @property
    def mongo_url(self) -> str:
        return self.env["MONGO_URL"]

    @property
    def stripe_url(self) -> str:
        return self.env["STRIPE_API_BASE"]

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def routes(self) -> dict[str, str]:
        """Public API path prefix -> the base URL of the service that serves it."""
        return {
            route.prefix: self.url(route.service)
            for route in read_ingress(INGRESS)
            if route.service in FACTORIES
        }

    # -- infrastructure --------------------------------------------------------------
    def start_infra(self, settings: Mapping[str, str]) -> None:
        redis_port, mongo_port, stripe_port = free_port(), free_port(), free_port()
        self.infra.append(start_redis(redis_port, log=self.logs / "redis.log"))
        self.infra.append(start_mongo(mongo_port, log=self.logs / "mongo.log"))
        self.infra.append(start_stripe(stripe_port, log=self.logs / "localstripe.log"))
        self.env = os.environ.copy() | {
            "APP_ENV": "development",
            "MONGO_URL": f"mongodb://127.0.0.1:{mongo_port}/?directConnection=true",
            "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "STRIPE_API_BASE": f"http://127.0.0.1:{stripe_port}",
            "STRIPE_SECRET_KEY": STRIPE_SECRET_KEY,
            "JWT_KEY": JWT_KEY,
            "NAMESPACE": self.namespace,
            "LOG_LEVEL": "WARNING",
            **settings,
        }

    # -- services --------------------------------------------------------------------
    def spawn(self, name: str) -> Child:
        """Start (or start again) a service on its port, without waiting for it."""
        port = self.ports.setdefault(name, free_port())
        argv = [sys.executable, "-m", "uvicorn", "--factory", FACTORIES[name],
                "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
                "--timeout-keep-alive", "30"]  # fmt: skip
        log = self.logs / f"{name}.log"
        with open(log, "ab") as out:  # the child keeps its own descriptor
            stamp = time.strftime("%H:%M:%S")
            out.write(f"\n=== {stamp} start #{self.starts[name] + 1} of {name}\n".encode())
            out.flush()
            process = subprocess.Popen(
                argv, stdout=out, stderr=subprocess.STDOUT, env=self.env, cwd=ROOT
            )
        child = Child(name, process, port)
        self.services[name] = child
        self.starts[name] += 1
        return child

    def kill(self, name: str) -> None:
        """SIGKILL the service's process (no shutdown of any kind) and reap it."""
        child = self.services[name]
        if child.process.poll() is None:
            os.kill(child.process.pid, signal.SIGKILL)
        child.process.wait()
        self.kills[name] += 1

    async def wait_ready(self, names: list[str], timeout: float) -> None:
        """Until each service answers ``GET /readyz`` with 200 (its lifespan has run)."""
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=5.0) as http:
            for name in names:
                last = ""
                while True:
                    child = self.services[name]
                    if child.process.poll() is not None:
                        raise RuntimeError(
                            f"{name} exited with {child.process.returncode}; "
                            f"see {self.logs / (name + '.log')}"
                        )
                    try:
                        response = await http.get(self.url(name) + "/readyz")
                        if response.status_code == 200:
                            break
                        last = f"{response.status_code} {response.text[:200]}"
                    except httpx.HTTPError as exc:
                        last = repr(exc)
                    if time.monotonic() >= deadline:
                        raise TimeoutError(f"{name} not ready after {timeout:.0f}s: {last}")
                    await asyncio.sleep(0.1)

    async def start_services(self, timeout: float) -> None:
        for name in FACTORIES:  # in parallel: each process imports and connects on its own
            self.spawn(name)
        await self.wait_ready(list(FACTORIES), timeout)

    def check_alive(self) -> list[str]:
        """Services whose process has exited on its own."""
        return [name for name, c in self.services.items() if c.process.poll() is not None]

    def memory(self) -> dict[str, float | None]:
        return {name: rss_mb(c.process.pid) for name, c in self.services.items()}

    def stop(self) -> None:
        """SIGTERM (then SIGKILL) every child started here, services first."""
        for child in [*self.services.values(), *reversed(self.infra)]:
            with contextlib.suppress(Exception):
                child.stop()
        self.services.clear()
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

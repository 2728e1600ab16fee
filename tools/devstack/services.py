"""The services as separate ``uvicorn --factory`` processes on loopback: the one launcher
of the local runner, the chaos test and the benchmarks.

Each service keeps its port for the life of the launcher, so one killed with SIGKILL can
be started again where its clients expect it. Only processes started here are ever
signalled, by their own PID.
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
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tools.devstack.processes import Child, free_port
from tools.devstack.stack import SERVICES

ROOT = Path(__file__).resolve().parents[2]
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
class ServiceProcesses:
    logs: Path
    env: dict[str, str]  # every service's environment (the configuration contract)
    children: dict[str, Child] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    factories: dict[str, str] = field(default_factory=lambda: dict(FACTORIES))
    starts: Counter[str] = field(default_factory=Counter)
    kills: Counter[str] = field(default_factory=Counter)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def upstreams(self) -> dict[str, str]:
        """Service name → its base URL, as the one-origin gateway takes them."""
        return {name: self.url(name) for name in self.children}

    def spawn(self, name: str, factory: str | None = None, *, workers: int = 1) -> Child:
        """Start (or start again) a service on its port, without waiting for it. A
        ``factory`` other than the service's own runs, e.g., a benchmark's baseline;
        ``workers`` > 1 runs that many uvicorn worker processes on the one port."""
        if factory is not None:
            self.factories[name] = factory
        port = self.ports.setdefault(name, free_port())
        argv = [sys.executable, "-m", "uvicorn", "--factory", self.factories[name],
                "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
                # longer than the gateway keeps idle connections (5 s)
                "--timeout-keep-alive", "30"]  # fmt: skip
        if workers > 1:
            argv += ["--workers", str(workers)]
        with open(self.logs / f"{name}.log", "ab") as out:  # the child keeps its own fd
            stamp = time.strftime("%H:%M:%S")
            out.write(f"\n=== {stamp} start #{self.starts[name] + 1} of {name}\n".encode())
            out.flush()
            process = subprocess.Popen(
                argv, stdout=out, stderr=subprocess.STDOUT, env=self.env, cwd=ROOT
            )
        child = Child(name, process, port)
        self.children[name] = child
        self.starts[name] += 1
        return child

    def spawn_all(self, *, workers: int = 1) -> None:
        for name in FACTORIES:  # in parallel: each process imports and connects on its own
            self.spawn(name, workers=workers)

    async def wait_ready(self, names: list[str] | None = None, *, within_s: float) -> None:
        """Until each service answers ``GET /readyz`` with 200 (its lifespan has run:
        consumers and relays are going); fails at once if one exits."""
        deadline = time.monotonic() + within_s
        async with httpx.AsyncClient(timeout=5.0) as http:
            for name in names or list(self.children):
                await self._wait_one(http, name, deadline)

    async def _wait_one(self, http: httpx.AsyncClient, name: str, deadline: float) -> None:
        last = ""
        while True:
            child = self.children[name]
            if child.process.poll() is not None:
                raise RuntimeError(
                    f"{name} exited with {child.process.returncode}; "
                    f"see {self.logs / (name + '.log')}"
                )
            try:
                response = await http.get(self.url(name) + "/readyz")
                if response.status_code == 200:
                    return
                last = f"{response.status_code} {response.text[:200]}"
            except httpx.HTTPError as exc:
                last = repr(exc)
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{name} not ready in time: {last}")
            await asyncio.sleep(0.1)

    def kill(self, name: str) -> None:
        """SIGKILL the service's process (no shutdown of any kind) and reap it."""
        child = self.children[name]
        if child.process.poll() is None:
            os.kill(child.process.pid, signal.SIGKILL)
        child.process.wait()
        self.kills[name] += 1

    def exited(self) -> list[str]:
        """Services whose process has exited on its own (or been killed)."""
        return [name for name, c in self.children.items() if c.process.poll() is not None]

    def memory(self) -> dict[str, float | None]:
        return {name: rss_mb(c.process.pid) for name, c in self.children.items()}

    def stop(self) -> None:
        """SIGTERM (then SIGKILL) every service started here."""
        for child in self.children.values():
            with contextlib.suppress(Exception):
                child.stop()
        self.children.clear()

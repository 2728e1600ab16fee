"""Sign-in benchmark: Argon2id as it was (library defaults, anyio's 40 threads) against
OWASP's parameters on one thread per core, and a bare baseline, in the same run.

    uv run python -m bench.signin [--parallel 100] [--rounds 3] [--time-limit 600]

Starts its own infrastructure on loopback (redis-server, the mongoeco wire server,
localstripe) and three uvicorn processes:

- ``before``: the auth service with ``PasswordHasher()``'s defaults (m=64 MiB, t=3, p=4)
  and hashing on anyio's default limiter (40 threads) — what ran before;
- ``after``: the auth service as it runs now (``create_app()``: m=19 MiB, t=2, p=1, one
  hashing thread per core);
- ``baseline``: a bare Starlette app whose ``POST /api/users/signin`` reads the JSON body and
  answers 200 — what the HTTP round trip alone costs here.

Each auth process has its own database (``NAMESPACE``), seeded with ``--parallel`` users
whose stored hash was made with that process's parameters (so nothing is rehashed), and
its sign-in limits raised out of the way (``SIGNIN_MAX_FAILURES``, ``SIGNIN_ADDRESS_LIMIT``):
it measures hashing, not the throttle. Each round fires ``--parallel`` sign-ins at once
(one per user) and waits for all; the auth process's resident memory (VmRSS) is sampled
every 10 ms meanwhile.

Printed per process: sign-ins/s (median of the rounds), p50/max latency, RSS before the
first round and its peak, and the ratios after/before and each against the baseline.
The old defaults are slow: on 2 cores the whole run takes about 5 minutes, nearly all of
it in ``before``'s rounds. Exit status: 0 when everything ran, 1 on an error (or a
sign-in that did not answer 200), 2 at the time limit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from argon2 import Parameters, PasswordHasher
from bson import ObjectId
from pymongo import MongoClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from backend.auth.app import create_app
from backend.auth.passwords import ANYIO_DEFAULT_THREADS, LIBRARY_DEFAULT, OWASP, HashingPolicy
from backend.common.settings import Settings
from bench.common import TimeLimitReached, time_limit
from tools.devstack.processes import Child, start_stand_ins
from tools.devstack.services import ServiceProcesses, rss_mb

ROOT = Path(__file__).resolve().parents[1]
JWT_KEY = "signin-bench-jwt-key-0123456789abcdef0123456789abcdef"
PASSWORD = "correct horse battery"
VARIANTS = {"before": LIBRARY_DEFAULT, "after": OWASP}  # auth processes: their parameters


# --------------------------------------------------------------------------------------
# The processes' apps (each runs in its own uvicorn process)
# --------------------------------------------------------------------------------------
def auth_before() -> Starlette:
    policy = HashingPolicy(parameters=LIBRARY_DEFAULT, threads=ANYIO_DEFAULT_THREADS)
    return create_app(Settings(namespace="benchbefore"), hashing=policy)


def auth_after() -> Starlette:
    return create_app(Settings(namespace="benchafter"))


def baseline_app() -> Starlette:
    async def signin(request: Request) -> Response:
        body = await request.json()
        return JSONResponse({"id": "0" * 24, "email": body["email"], "displayName": "x"})

    return Starlette(routes=[Route("/api/users/signin", signin, methods=["POST"])])


FACTORIES = {
    "before": "bench.signin:auth_before",
    "after": "bench.signin:auth_after",
    "baseline": "bench.signin:baseline_app",
}
NAMESPACES = {"before": "benchbefore", "after": "benchafter"}


# --------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------
@dataclass
class Figures:
    rates: list[float] = field(default_factory=list)  # sign-ins/s per round
    latencies_ms: list[float] = field(default_factory=list)
    rss_idle_mb: float = 0.0
    rss_peak_mb: float = 0.0
    failures: int = 0

    @property
    def rate(self) -> float:
        return statistics.median(self.rates)


class RssSampler:
    """The process's VmRSS every ``every_s`` in a thread, keeping the peak."""

    def __init__(self, pid: int, every_s: float = 0.01) -> None:
        self.pid, self.every_s = pid, every_s
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mb(self.pid) or 0.0)
            self._stop.wait(self.every_s)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def seed_users(mongo_url: str, namespace: str, parameters: Parameters, count: int) -> list[str]:
    """``count`` users whose stored hash has these parameters (one hash, made once)."""
    stored = PasswordHasher.from_parameters(parameters).hash(PASSWORD)
    emails = [f"bench{i}@example.com" for i in range(count)]
    now = datetime.now(UTC)
    client: MongoClient[dict[str, object]] = MongoClient(mongo_url)
    with client:
        users = client.get_database(f"{namespace}_auth").get_collection("users")
        users.delete_many({})
        users.insert_many(
            [
                {
                    "_id": ObjectId(),
                    "email": email,
                    "display_name": email.split("@")[0],
                    "password_hash": stored,
                    "session_generation": 0,
                    "created_at": now,
                    "version": 0,
                    "outbox": [],
                }
                for email in emails
            ]
        )
    return emails


async def burst(url: str, emails: list[str], figures: Figures) -> None:
    limits = httpx.Limits(max_connections=len(emails), max_keepalive_connections=len(emails))
    async with httpx.AsyncClient(base_url=url, timeout=300, limits=limits) as http:

        async def one(email: str) -> None:
            started = time.perf_counter()
            answer = await http.post(
                "/api/users/signin", json={"email": email, "password": PASSWORD}
            )
            figures.latencies_ms.append((time.perf_counter() - started) * 1000)
            if answer.status_code != 200:
                figures.failures += 1

        await http.post("/api/users/signin", json={"email": "warm@example.com", "password": "x"})
        started = time.perf_counter()
        await asyncio.gather(*(one(email) for email in emails))
        figures.rates.append(len(emails) / (time.perf_counter() - started))


def measure(name: str, child: Child, url: str, emails: list[str], rounds: int) -> Figures:
    figures = Figures(rss_idle_mb=rss_mb(child.process.pid) or 0.0)
    with RssSampler(child.process.pid) as sampler:
        for _ in range(rounds):
            asyncio.run(burst(url, emails, figures))
    figures.rss_peak_mb = sampler.peak
    print(
        f"{name:>9}: {figures.rate:8.1f} sign-ins/s (median of {rounds})   "
        f"p50 {statistics.median(figures.latencies_ms):7.0f} ms   "
        f"max {max(figures.latencies_ms):7.0f} ms   "
        f"RSS {figures.rss_idle_mb:6.1f} MB idle -> {figures.rss_peak_mb:6.1f} MB peak   "
        f"failures {figures.failures}",
        flush=True,
    )
    return figures


def report(results: dict[str, Figures], parallel: int) -> None:
    before, after, base = results["before"], results["after"], results["baseline"]
    print(f"\n{parallel} parallel sign-ins, {os.cpu_count()} cores")
    print(f"  sign-ins/s   after/before {after.rate / before.rate:5.2f}x")
    print(
        f"  peak RSS     after/before {after.rss_peak_mb / before.rss_peak_mb:5.2f}x   "
        f"growth during the bursts: before +{before.rss_peak_mb - before.rss_idle_mb:.0f} MB, "
        f"after +{after.rss_peak_mb - after.rss_idle_mb:.0f} MB"
    )
    print(
        f"  against the bare baseline ({base.rate:.0f} requests/s): "
        f"before {before.rate / base.rate:.3f}x, after {after.rate / base.rate:.3f}x"
    )


def run(args: argparse.Namespace) -> int:
    logs = ROOT / "artifacts" / "logs" / "bench-signin"
    logs.mkdir(parents=True, exist_ok=True)
    children: list[Child] = []
    try:
        env = os.environ.copy() | start_stand_ins(logs, children)
        # Limits out of the way: 100 sign-ins from one address is the point here.
        env |= {"APP_ENV": "development", "JWT_KEY": JWT_KEY}
        env |= {name: "1000000" for name in ("SIGNIN_MAX_FAILURES", "SIGNIN_ADDRESS_LIMIT")}
        processes = ServiceProcesses(logs, env)
        spawned = {name: processes.spawn(name, factory) for name, factory in FACTORIES.items()}
        children.extend(spawned.values())
        for child in spawned.values():
            child.wait_ready(timeout=90)
        asyncio.run(processes.wait_ready(["before", "after"], within_s=60))
        results: dict[str, Figures] = {}
        emails = [f"bench{i}@example.com" for i in range(args.parallel)]
        for name in ("baseline", "before", "after"):
            if name in VARIANTS:
                seed_users(env["MONGO_URL"], NAMESPACES[name], VARIANTS[name], args.parallel)
            results[name] = measure(name, spawned[name], processes.url(name), emails, args.rounds)
        report(results, args.parallel)
        failed = sum(figures.failures for figures in results.values())
        return 1 if failed else 0
    finally:
        for child in reversed(children):
            with contextlib.suppress(Exception):
                child.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.signin", description=__doc__)
    parser.add_argument("--parallel", type=int, default=100, help="sign-ins fired at once")
    parser.add_argument("--rounds", type=int, default=3, help="bursts per process")
    parser.add_argument("--time-limit", type=float, default=600, help="seconds for everything")
    args = parser.parse_args(argv)
    if args.parallel < 1 or args.rounds < 1:
        parser.error("--parallel and --rounds must be positive")

    try:
        with time_limit(args.time_limit):
            return run(args)  # stops every child it started, also when the time is up
    except TimeLimitReached:
        print(f"time limit of {args.time_limit:.0f} s reached", file=sys.stderr)
        return 2
    except Exception:
        traceback.print_exc()
        return 1


if __name__ == "__main__":
    sys.exit(main())

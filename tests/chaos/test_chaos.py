"""Chaos: services are SIGKILLed and restarted under load; nothing may break.

Every service runs as its own uvicorn process (as ``./scripts/dev`` runs them) on a
private redis-server, mongoeco wire server and localstripe, with short purchase locks.
Simulated sellers list tickets and edit prices; buyers search, order, pay (some cards
decline), cancel or let their locks expire. Meanwhile a seeded chaos loop kills one of
orders, payments, expiration, tickets and live every few seconds (SIGKILL: no shutdown)
and starts it again on its port, and once kills every Redis client connection.

Then the load stops, the system is left to come to rest (bounded), and the stores are
checked (see ``tests/support/chaos_checks.py``): one completed order per ticket, every
kept charge belongs to exactly one completed order, every ledger entry balances and
Stripe's charges and refunds match the ledger one to one, every order final, tickets agree
across services, no event un-acked or dead-lettered, and what the API acknowledged to a
buyer came true. Errors are tolerated only while a service is down or Redis connections
are being cut.

``CHAOS_SEED`` and ``CHAOS_SECONDS`` (default 7 and 60) change the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pytest
from pymongo import AsyncMongoClient
from redis.asyncio import Redis

from backend.common.holds import SKEW_MS, Holds
from backend.common.keys import RedisKeys
from tests.support.chaos_checks import (
    Snapshot,
    at_rest,
    stripe_client,
    take_snapshot,
    unsettled,
    violations,
)
from tests.support.chaos_load import Fate, Market, Shopper, Tally
from tests.support.chaos_stack import ProcessStack, process_stack

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "chaos"
SEED = int(os.environ.get("CHAOS_SEED", "7"))
LOAD_S = float(os.environ.get("CHAOS_SECONDS", "60"))
VICTIMS = ("orders", "payments", "expiration", "tickets", "live")
SELLERS, BUYERS = 3, 6
# Long enough for the slowest recovery: a payment cut off by a kill keeps its lease
# (PAYMENT_LEASE_SECONDS below; localstripe answers in milliseconds) before the reconciler
# may settle it; several of them in a row.
SETTLE_S = 150.0
READY_S = 120.0  # a loaded 2-core machine starts six Python processes slowly
GRACE_S = 1.5  # after a restarted service answers, requests in flight may still fail
SETTINGS = {
    "LOCK_TTL_SECONDS": "4",
    "PAYMENT_HOLD_SECONDS": "8",
    "PAYMENT_LEASE_SECONDS": "30",
    "BUS_RETRY_AFTER_MS": "1000",
    "BUS_BLOCK_MS": "500",
    "OUTBOX_POLL_SECONDS": "0.2",
    "REDIS_MAX_CONNECTIONS": "50",
    "LOG_JSON": "true",
    # Fair holds: the cap stays the product's (4 unpaid orders per buyer: a buyer here holds
    # one at a time, plus the ones it abandons for LOCK_TTL_SECONDS); the cooldown is as short
    # as the locks, and the rate limits are out of the way — nine shoppers share one address
    # and order far faster than people do; the limits have their own tests
    # (tests/integration/orders/test_fair_holds.py), this load tests crashes.
    "REHOLD_COOLDOWN_SECONDS": "4",
    "ORDER_RATE_PER_USER": "100000",
    "ORDER_RATE_PER_IP": "100000",
}
# A hold is counted at most this long after its order ended: the payment hold and the skew.
HOLDS_CLEAR_S = float(SETTINGS["PAYMENT_HOLD_SECONDS"]) + SKEW_MS / 1000 + 2
FATES = {Fate.PAY: 0.5, Fate.DECLINE: 0.15, Fate.CANCEL: 0.15, Fate.ABANDON: 0.2}


@dataclass
class Disruptions:
    """When something was down, so that the errors it caused can be told apart."""

    windows: list[tuple[float, float, str]] = field(default_factory=list)

    def add(self, started: float, ended: float, what: str) -> None:
        self.windows.append((started, ended + GRACE_S, what))

    def outages(self) -> str:
        spans = [b - a - GRACE_S for a, b, what in self.windows if what.endswith("killed")]
        if not spans:
            return "none"
        return f"{len(spans)}, back in {min(spans):.1f}-{max(spans):.1f}s"

    def explains(self, started: float, ended: float) -> bool:
        return any(a <= ended and started <= b for a, b, _ in self.windows)


async def pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def outage(stack: ProcessStack, name: str, down_s: float, disruptions: Disruptions) -> None:
    """SIGKILL a service, leave it down a moment, start it again on its port."""
    started = time.monotonic()
    stack.services.kill(name)
    await asyncio.sleep(down_s)
    stack.services.spawn(name)
    await stack.services.wait_ready([name], within_s=READY_S)
    disruptions.add(started, time.monotonic(), f"{name} killed")


async def kill_and_restart(
    stack: ProcessStack, rng: random.Random, stop: asyncio.Event, disruptions: Disruptions
) -> None:
    """Each victim in turn (a seeded random order each round), one every few seconds;
    a service still starting again is waited for before it is killed again."""
    restarts: dict[str, asyncio.Task[None]] = {}
    turn: list[str] = []
    await pause(stop, rng.uniform(2.0, 4.0))
    try:
        while not stop.is_set():
            turn = turn or rng.sample(VICTIMS, len(VICTIMS))
            name = turn.pop()
            if name in restarts:
                await restarts[name]
            down_s = rng.uniform(0.2, 1.5)
            restarts[name] = asyncio.create_task(outage(stack, name, down_s, disruptions))
            await pause(stop, rng.uniform(1.5, 3.5))
    finally:
        await asyncio.gather(*restarts.values())


async def cut_redis_clients(
    redis: Redis, at_s: float, stop: asyncio.Event, disruptions: Disruptions
) -> int:
    """Once: ``CLIENT KILL TYPE normal`` (every service's connections, not ours)."""
    await pause(stop, at_s)
    if stop.is_set():
        return 0
    started = time.monotonic()
    killed = int(await redis.client_kill_filter(_type="normal", skipme=True))
    disruptions.add(started - 0.5, time.monotonic() + 1.0, "redis: client connections cut")
    return killed


async def keep_doing(
    step: Callable[[], Awaitable[None]], rng: random.Random, stop: asyncio.Event
) -> None:
    while not stop.is_set():
        await step()
        await pause(stop, rng.uniform(0.05, 0.25))


async def settle(read: Callable[[], Awaitable[Snapshot]], timeout: float) -> tuple[Snapshot, float]:
    """Poll until the system is at rest, or the timeout; returns the last look."""
    started = time.monotonic()
    previous: Snapshot | None = None
    while True:
        snap = await read()
        if at_rest(previous, snap) or time.monotonic() - started >= timeout:
            return snap, time.monotonic() - started
        previous = snap
        await asyncio.sleep(1.0)


def report(
    stack: ProcessStack, tally: Tally, market: Market, snap: Snapshot, extra: dict[str, object]
) -> str:
    lines = [f"chaos run: seed {SEED}, load {LOAD_S:.0f}s, " + ", ".join(
        f"{k} {v}" for k, v in extra.items())]  # fmt: skip
    lines.append(f"operations: {tally.total()}")
    for kind, outcomes in tally.by_kind().items():
        lines.append(f"  {kind:<13} " + " ".join(f"{o}={n}" for o, n in sorted(outcomes.items())))
    kills, starts = stack.services.kills, stack.services.starts
    lines.append(f"kills: {dict(kills)} (total {sum(kills.values())})")
    lines.append(f"starts: {dict(starts)}")
    lines.append(f"orders by status: {dict(snap.orders_by_status())}")
    fates = {f.value: sum(1 for s in market.orders if s.fate is f) for f in Fate}
    acknowledged = {a: sum(1 for s in market.orders if s.acknowledged == a)
                    for a in ("paid", "declined", "cancelled")}  # fmt: skip
    lines.append(f"orders won by buyers: {len(market.orders)} {fates}; acknowledged {acknowledged}")
    lines.append(f"payment intents by status: {dict(snap.charges())}; refunds {len(snap.refunds)}")
    lines.append(f"tickets: {len(snap.tickets)}; dead letters: {len(snap.dead_letters)}")
    if tally.unexpected:
        lines.append(f"other 4xx answers: {dict(tally.unexpected)}")
    return "\n".join(lines)


async def held_slots(holds: Holds, buyers: list[Shopper]) -> list[tuple[str, int]]:
    """Buyers whose fair-hold slots are still counted ``HOLDS_CLEAR_S`` after the market
    came to rest: a hold must end with its order, or with its lock's deadline at the
    latest, whatever was killed in between."""
    await asyncio.sleep(HOLDS_CLEAR_S)
    counts = [(b.id, await holds.open_count(b.id)) for b in buyers]
    return [(buyer, n) for buyer, n in counts if n]


async def test_invariants_hold_when_services_are_killed_under_load() -> None:
    rng = random.Random(SEED)
    logs = ARTIFACTS / time.strftime(f"%Y%m%d-%H%M%S-seed{SEED}")
    namespace = f"chaos{SEED}"
    tally, disruptions = Tally(), Disruptions()
    market = Market(rng=random.Random(SEED + 1), tally=tally, fates=FATES)
    with process_stack(logs, namespace, SETTINGS) as stack:
        redis = Redis.from_url(stack.redis_url, decode_responses=True)
        mongo: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
            stack.mongo_url, tz_aware=True
        )
        stripe = stripe_client(stack.stripe_url)
        shoppers: list[Shopper] = []
        try:
            await stack.start_services(READY_S)
            routes = stack.routes()
            sellers = [Shopper("seller", routes, tally, 30) for _ in range(SELLERS)]
            buyers = [Shopper("buyer", routes, tally, 30) for _ in range(BUYERS)]
            shoppers = sellers + buyers
            await asyncio.gather(*(s.sign_up() for s in shoppers))

            stop = asyncio.Event()
            workers = [keep_doing(partial(market.seller_step, s), rng, stop) for s in sellers]
            workers += [keep_doing(partial(market.buyer_step, b), rng, stop) for b in buyers]
            load = asyncio.gather(*workers)
            chaos = asyncio.create_task(kill_and_restart(stack, rng, stop, disruptions))
            cut = asyncio.create_task(
                cut_redis_clients(redis, rng.uniform(0.3, 0.7) * LOAD_S, stop, disruptions)
            )
            await pause(stop, LOAD_S)
            stop.set()
            async with asyncio.timeout(READY_S + 60):
                await asyncio.gather(load, chaos)
            redis_clients_killed = await cut
            assert not stack.services.exited(), f"exited by themselves: {stack.services.exited()}"

            snap, waited = await settle(
                lambda: take_snapshot(mongo, redis, stripe, namespace), SETTLE_S
            )
            stuck = await held_slots(Holds(redis, RedisKeys(namespace)), buyers)
        finally:
            for shopper in shoppers:
                await shopper.close()
            await stripe.aclose()
            await mongo.close()
            await redis.aclose()

    failures = [f for f in tally.failures if not disruptions.explains(f.started, f.ended)]
    text = report(stack, tally, market, snap, {
        "redis clients killed": redis_clients_killed,
        "errors while disrupted": len(tally.failures) - len(failures),
        "settled in": f"{waited:.1f}s",
        "outages": disruptions.outages(),
    })  # fmt: skip
    problems = [f"not settled after {SETTLE_S:.0f}s: {r}" for r in unsettled(snap)]
    problems += violations(snap, market.orders)
    problems += [f"{f.kind} failed with nothing down: {f.detail}" for f in failures]
    problems += [
        f"buyer {b} still has {n} hold(s) counted with every order final" for b, n in stuck
    ]
    (logs / "report.txt").write_text(text + "\n" + "\n".join(problems) + "\n")
    print(text)
    assert not problems, "\n".join([f"{len(problems)} violations (logs: {logs}):", *problems])

"""Soak benchmark: the whole marketplace under a steady mixed load, watching memory.

    uv run python -m bench.soak [--seconds 300] [--max-ops 60000] [--users 8]
                                     [--rate 6] [--sample 5] [--seed 1]

Starts its own infrastructure on loopback (redis-server, the mongoeco wire server,
localstripe) and every service as its own uvicorn process, as ``./scripts/dev`` does.
A fixed number of simulated users (half sellers, half buyers) then take steps at a steady
total rate: sellers list tickets and edit prices; buyers list and search the market,
show tickets, order, pay (some cards decline), cancel or let their locks expire. Each
step is a few requests. It stops by itself after ``--seconds`` or ``--max-ops`` requests.

Every ``--sample`` seconds it reads each process's resident memory (VmRSS in /proc).
Printed: requests by kind and status, error responses beyond the expected 409/402/404,
p50/p95/p99 latency per kind, and per service the memory at start, after warm-up and at
the end, with the least-squares slope after warm-up (MB/min). A service is flagged when
it grew more than 10% after warm-up (the first fifth of the run, at least 20 s). Finally
the invariants of the chaos test are checked on the stores (after letting work settle).

Exit status: 0 when clean, 3 when something was flagged (errors, memory, invariants),
1 on a failure of the benchmark itself, 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import random
import signal
import sys
import time
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from pymongo import AsyncMongoClient
from redis.asyncio import Redis

from bench.common import log, percentile
from tests.support.chaos_checks import at_rest, stripe_client, take_snapshot, unsettled, violations
from tests.support.chaos_load import Fate, Market, Shopper, Tally
from tests.support.chaos_stack import ProcessStack, process_stack
from tools.devstack.services import rss_mb

ROOT = Path(__file__).resolve().parents[1]
NAMESPACE = "soak"
SETTINGS = {"LOCK_TTL_SECONDS": "8", "PAYMENT_HOLD_SECONDS": "30", "LOG_JSON": "true"}
FATES = {Fate.PAY: 0.5, Fate.DECLINE: 0.1, Fate.CANCEL: 0.2, Fate.ABANDON: 0.2}
EXPECTED = {"ok", "409", "402"}  # a lost race, a declined card
# A seller editing a ticket sold meanwhile (it is the buyer's now); a buyer ordering a
# ticket the orders service has not heard of yet.
EXPECTED_BY_KIND = {("edit", "403"), ("order", "404")}
GROWTH_BOUND = 0.10
READY_S = 180.0
SETTLE_S = 60.0


@dataclass
class Memory:
    """RSS samples per process: (seconds since start, MB)."""

    samples: dict[str, list[tuple[float, float]]] = field(default_factory=dict)

    def sample(self, stack: ProcessStack, elapsed: float) -> None:
        pids = {name: c.process.pid for name, c in stack.services.children.items()}
        pids |= {f"({c.name})": c.process.pid for c in stack.infra}
        for name, pid in pids.items():
            mb = rss_mb(pid)
            if mb is not None:
                self.samples.setdefault(name, []).append((elapsed, mb))


def slope_mb_per_min(points: Sequence[tuple[float, float]]) -> float:
    if len(points) < 2:
        return math.nan
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_m = sum(m for _, m in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    if var == 0:
        return math.nan
    cov = sum((t - mean_t) * (m - mean_m) for t, m in points)
    return cov / var * 60


async def run_users(
    stack: ProcessStack, tally: Tally, market: Market, args: argparse.Namespace
) -> tuple[float, Memory]:
    """The steady load, until the time or the request budget runs out."""
    routes = stack.routes()
    sellers = [Shopper("seller", routes, tally, 30) for _ in range(args.users // 2)]
    buyers = [Shopper("buyer", routes, tally, 30) for _ in range(args.users - len(sellers))]
    users = sellers + buyers
    memory = Memory()
    try:
        await asyncio.gather(*(u.sign_up() for u in users))
        started = time.monotonic()
        end = started + args.seconds
        interval = args.users / args.rate  # each user's time between steps

        async def user_loop(user: Shopper, offset: float) -> None:
            step = market.seller_step if user in sellers else market.buyer_step
            next_at = started + offset
            while time.monotonic() < end and tally.total() < args.max_ops:
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                await step(user)
                next_at += interval

        async def sampler() -> None:
            while time.monotonic() < end and tally.total() < args.max_ops:
                memory.sample(stack, time.monotonic() - started)
                await asyncio.sleep(args.sample)

        offsets = [interval * i / len(users) for i in range(len(users))]
        sampling = asyncio.create_task(sampler())
        await asyncio.gather(*(user_loop(u, o) for u, o in zip(users, offsets, strict=True)))
        sampling.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampling
        memory.sample(stack, time.monotonic() - started)
        return time.monotonic() - started, memory
    finally:
        for user in users:
            await user.close()


def memory_report(memory: Memory, wall_s: float) -> tuple[list[str], list[str]]:
    warm_s = max(20.0, wall_s / 5)
    lines = [
        f"memory (RSS MB; warm-up {warm_s:.0f}s; flagged beyond +{GROWTH_BOUND:.0%} after it)",
        f"  {'process':<14} {'start':>7} {'warm':>7} {'end':>7} {'slope MB/min':>13}",
    ]
    flags = []
    for name, points in memory.samples.items():
        after = [(t, m) for t, m in points if t >= warm_s] or points[-1:]
        start, warm, end = points[0][1], after[0][1], points[-1][1]
        slope = slope_mb_per_min(after)
        growth = (end - warm) / warm if warm else 0.0
        mark = ""
        if growth > GROWTH_BOUND and not name.startswith("("):
            mark = "  <-- grew"
            flags.append(f"{name} grew {growth:.0%} after warm-up ({warm:.1f} -> {end:.1f} MB)")
        lines.append(f"  {name:<14} {start:>7.1f} {warm:>7.1f} {end:>7.1f} {slope:>13.2f}{mark}")
    return lines, flags


def report(tally: Tally, wall_s: float, memory: Memory) -> tuple[str, list[str]]:
    total = tally.total()
    lines = [f"soak: {total} requests in {wall_s:.0f}s ({total / max(wall_s, 1e-9):.1f}/s)"]
    lines.append(f"  {'kind':<13} {'n':>6} {'p50_ms':>8} {'p95_ms':>8} {'p99_ms':>8}  outcomes")
    for kind, outcomes in tally.by_kind().items():
        lat = tally.latencies_ms[kind]
        shown = " ".join(f"{o}={n}" for o, n in sorted(outcomes.items()))
        lines.append(
            f"  {kind:<13} {len(lat):>6} {percentile(lat, 50):>8.1f} "
            f"{percentile(lat, 95):>8.1f} {percentile(lat, 99):>8.1f}  {shown}"
        )
    flags = []
    unexpected = {
        (kind, outcome): n
        for (kind, outcome), n in tally.counts.items()
        if outcome not in EXPECTED and (kind, outcome) not in EXPECTED_BY_KIND
    }
    if unexpected:
        flags.append(f"unexpected responses: {unexpected}")
        flags += [f"  {f.kind}: {f.detail}" for f in tally.failures[:10]]
        flags += [f"  {text} (x{n})" for text, n in tally.unexpected.most_common(10)]
    mem_lines, mem_flags = memory_report(memory, wall_s)
    return "\n".join([*lines, *mem_lines]), flags + mem_flags


async def soak(stack: ProcessStack, args: argparse.Namespace) -> tuple[str, list[str]]:
    await stack.start_services(READY_S)
    up = stack.services.upstreams()
    log(f"services up: {', '.join(f'{name}={url}' for name, url in up.items())}")
    tally = Tally()
    market = Market(rng=random.Random(args.seed), tally=tally, fates=FATES)
    wall_s, memory = await run_users(stack, tally, market, args)
    text, flags = report(tally, wall_s, memory)
    log("load done; letting the system settle and checking the stores")
    redis = Redis.from_url(stack.redis_url, decode_responses=True)
    mongo: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(stack.mongo_url, tz_aware=True)
    stripe = stripe_client(stack.stripe_url)
    try:
        deadline = time.monotonic() + SETTLE_S
        previous = None
        while True:
            snap = await take_snapshot(mongo, redis, stripe, NAMESPACE)
            if at_rest(previous, snap) or time.monotonic() >= deadline:
                break
            previous = snap
            await asyncio.sleep(1.0)
    finally:
        await stripe.aclose()
        await mongo.close()
        await redis.aclose()
    problems = unsettled(snap) + violations(snap, market.orders)
    text += (
        f"\norders: {dict(snap.orders_by_status())}; payment intents: {dict(snap.charges())}; "
        f"tickets: {len(snap.tickets)}; invariant violations: {len(problems)}"
    )
    return text, flags + problems[:20]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--seconds", type=float, default=300.0, help="load duration")
    parser.add_argument("--max-ops", type=int, default=60_000, help="cap on requests")
    parser.add_argument("--users", type=int, default=8, help="simulated users (>= 2)")
    parser.add_argument("--rate", type=float, default=6.0, help="user steps per second, in all")
    parser.add_argument("--sample", type=float, default=5.0, help="seconds between RSS samples")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.max_ops < 1 or args.users < 2 or args.rate <= 0:
        parser.error("--seconds, --max-ops, --rate must be positive and --users at least 2")
    return args


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    def on_term(signum: int, _: FrameType | None) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    old = signal.signal(signal.SIGTERM, on_term)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logs = ROOT / "artifacts" / "load" / time.strftime("soak-%Y%m%d-%H%M%S")
    # A hard bound on top of --seconds: startup, settling and the checks included.
    limit_s = args.seconds + READY_S + SETTLE_S + 120
    status = 0
    with _sigterm_as_interrupt():
        try:
            with process_stack(logs, NAMESPACE, SETTINGS) as stack:
                log(f"starting the stack (logs: {logs})")

                async def bounded() -> tuple[str, list[str]]:
                    async with asyncio.timeout(limit_s):
                        return await soak(stack, args)

                text, flags = asyncio.run(bounded())
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # an orderly shutdown
        except KeyboardInterrupt:
            log("interrupted: stopping")
            return 130
        except Exception:
            traceback.print_exc()
            log(f"server logs: {logs}")
            return 1
        finally:
            signal.signal(signal.SIGINT, signal.default_int_handler)
    print(text, flush=True)
    if flags:
        status = 3
        print("FLAGGED:\n" + "\n".join(f"  {f}" for f in flags), flush=True)
    (logs / "report.txt").write_text(text + "\n" + "\n".join(flags) + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main())

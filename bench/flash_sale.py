"""Flash-sale benchmark: N buyers released at once on M tickets, against a bare lock.

    uv run python -m bench.flash_sale [--buyers 1000] [--tickets 100] [--workers 1]
                                      [--connections 500] [--rounds 1] [--time-limit 900]

Starts its own infrastructure on loopback (redis-server, the mongoeco wire server,
localstripe) and the services auth, tickets, orders and expiration as separate uvicorn
processes (the one launcher, ``tools/devstack/services.py``), plus a baseline: one uvicorn
process serving ``bench.baselines.bare_lock``, whose ``POST /api/orders`` reads the same
JSON body and answers 201 or 409 from one ``SET NX PX``: the bare lock, nothing else.

A seller lists M tickets through the REST API; once the orders service knows all of them,
N buyers (buyer i goes for ticket i mod M) are released at once, each with one
``POST /api/orders``, from one aiohttp session whose pool of ``--connections`` keep-alive
connections was opened beforehand (by as many concurrent ``GET /api/orders``, which warm
the server's own Redis and MongoDB pools too). Then the same N attempts, same tickets, same pool,
against the baseline. Both systems run ``--workers`` uvicorn worker processes.

Buyers are minted, not signed up: a session token signed with this stack's key and the
user's session generation registered in Redis, as sign-up would (sign-up's deliberate
password hashing is measured by ``bench/signin.py``). All buyers come from 127.0.0.1, so
the per-address order limit is lifted for the run; the per-user limit, the hold cap and
the cooldown stay on.

Each race starts once every process the run started is idle (``settle``). With
``--rounds R`` the whole of it (new tickets, new buyers, both races) runs R times and
the medians of the R ratios are printed too: this machine's speed drifts by up to half
between minutes, so one pair of races is a noisy figure.

Printed per system: winners, answers by status, attempts/s (N over the time from release
to the last answer), p50/p90/p99/max latency from release, CPU seconds spent by the
server processes and by this client during the race (the client must not be the
bottleneck: it should spend less than the baseline's server), and ours/baseline ratios;
then the CPU of every process the run started (the stand-ins too) during each race, and
all of it with the client's: how many cores the race kept busy, and the ratio of the two
totals, which the throughput ratio follows when both races fill the cores.
Checked for ours: exactly one 201 per ticket, 409 for every other attempt, no 5xx, and in
MongoDB exactly one order per ticket, each the one its winner was told of, none for a
loser. Targets (information only, not asserted): throughput ≥ 60 % of the baseline and
p99 ≤ 1.5 times the baseline's p99.

Exit status: 0 when both races ran and every check held, 1 otherwise, 2 at the time limit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import time
import traceback
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from bson import ObjectId
from pymongo import AsyncMongoClient
from redis.asyncio import Redis

from backend.common.auth import Revocations
from backend.common.keys import RedisKeys
from bench.common import (
    TimeLimitReached,
    cpu_by_name,
    cpu_since,
    expect,
    log,
    mint_sessions,
    percentile,
    raise_fd_limit,
    ticket_body,
    time_limit,
)
from tools.devstack.client import ApiClient
from tools.devstack.processes import Child, start_stand_ins
from tools.devstack.services import ServiceProcesses

ROOT = Path(__file__).resolve().parents[1]
JWT_KEY = "flash-sale-bench-jwt-key-0123456789abcdef0123456789abcdef"
NAMESPACE = "flashbench"
SERVICES = ("auth", "tickets", "orders", "expiration")
BASELINE_FACTORY = "bench.baselines:bare_lock"
TARGET_RATE_SHARE = 0.60
TARGET_P99_RATIO = 1.5


# --------------------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------------------
@dataclass
class Servers:
    logs: Path
    children: list[Child] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    processes: ServiceProcesses | None = None

    def url(self, name: str) -> str:
        assert self.processes is not None
        return self.processes.url(name)

    def pids(self, name: str) -> list[int]:
        """The service's processes: uvicorn's supervisor and its workers."""
        assert self.processes is not None
        root = self.processes.children[name].process.pid
        return [root, *_children_of(root)]

    def every_pid(self) -> dict[str, list[int]]:
        """Every process this run started, by name: the stand-ins and the services."""
        assert self.processes is not None
        named = {child.name: [child.process.pid] for child in self.children}
        return named | {name: self.pids(name) for name in self.processes.children}

    def stop(self) -> None:
        if self.processes is not None:
            for child in reversed(self.processes.children.values()):
                with contextlib.suppress(Exception):
                    child.stop()
        for child in reversed(self.children):
            with contextlib.suppress(Exception):
                child.stop()


def _children_of(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [int(p) for p in path.read_text().split()]
    except OSError:
        return []


def start_servers(servers: Servers, workers: int) -> None:
    env = os.environ.copy() | start_stand_ins(servers.logs, servers.children)
    env |= {
        "APP_ENV": "development",
        "JWT_KEY": JWT_KEY,
        "NAMESPACE": NAMESPACE,
        # Every buyer here comes from 127.0.0.1; in a real sale each has their own address.
        "ORDER_RATE_PER_IP": "1000000",
        "LOG_JSON": "true",  # as in production (deploy/k8s/config.yaml)
    }
    servers.env = env
    processes = servers.processes = ServiceProcesses(servers.logs, env)
    for name in SERVICES:
        processes.spawn(name, workers=workers if name == "orders" else 1)
    processes.spawn("baseline", BASELINE_FACTORY, workers=workers)
    for child in processes.children.values():
        child.wait_ready(timeout=120)
    asyncio.run(processes.wait_ready(list(SERVICES), within_s=120))


# --------------------------------------------------------------------------------------
# The market: one seller's M tickets, N minted buyers
# --------------------------------------------------------------------------------------
async def list_tickets(routes: dict[str, str], count: int) -> list[str]:
    async with ApiClient(routes=routes, timeout=60) as seller:
        email = f"seller-{ObjectId()}@example.com"
        expect(await seller.sign_up(email, "correct horse battery"), 201, "seller sign-up")
        gate = asyncio.Semaphore(16)

        async def one(i: int) -> str:
            async with gate:
                return str(expect(await seller.sell(ticket_body(1_000 + i)), 201, "list")["id"])

        return await asyncio.gather(*(one(i) for i in range(count)))


async def wait_known(mongo_url: str, tickets: list[str], within_s: float) -> None:
    """Until the orders service's replica holds every ticket (so none answers 404)."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url)
    try:
        replicas = client[f"{NAMESPACE}_orders"]["ticket_replicas"]
        wanted = list(tickets)  # the replica keeps the id as a string
        deadline = time.monotonic() + within_s
        while await replicas.count_documents({"_id": {"$in": wanted}}) < len(wanted):
            if time.monotonic() > deadline:
                raise RuntimeError("the orders service did not learn of every ticket in time")
            await asyncio.sleep(0.2)
    finally:
        await client.close()


async def mint_buyers(redis_url: str, count: int) -> list[tuple[str, str]]:
    """(user id, Authorization header) per buyer."""
    redis = Redis.from_url(redis_url)
    try:
        minted = await mint_sessions(
            Revocations(redis, RedisKeys(NAMESPACE)), key=JWT_KEY, count=count
        )
    finally:
        await redis.aclose()
    return [(user_id, f"Bearer {token}") for user_id, token in minted]


# --------------------------------------------------------------------------------------
# The race
# --------------------------------------------------------------------------------------
@dataclass
class Race:
    system: str
    attempts: int
    statuses: Counter[int]
    latencies_ms: list[float]
    wall_s: float
    server_cpu_s: float
    client_cpu_s: float
    cpu_by_process: dict[str, float]  # during the race, every process the run started
    winners: dict[str, list[tuple[int, str]]]  # ticket -> (buyer index, order id)

    @property
    def rate(self) -> float:
        return self.attempts / self.wall_s if self.wall_s > 0 else 0.0

    def p(self, q: float) -> float:
        return percentile(self.latencies_ms, q)


async def race(
    system: str,
    url: str,
    buyers: list[tuple[str, str]],
    tickets: list[str],
    connections: int,
    server: str,
    every_pid: dict[str, list[int]],
) -> Race:
    connector = aiohttp.TCPConnector(limit=connections, limit_per_host=connections)
    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:

        async def warm(i: int) -> None:
            headers = {"Authorization": buyers[i % len(buyers)][1]}
            async with http.get(f"{url}/api/orders", headers=headers) as response:
                await response.read()

        # Both sides warm: the client's keep-alive connections, the server's pools.
        await asyncio.gather(*(warm(i) for i in range(connections)))
        go = asyncio.Event()
        answers: list[tuple[int, float, str | None]] = [(0, 0.0, None)] * len(buyers)

        async def attempt(i: int) -> None:
            _, authorization = buyers[i]
            body = {"ticketId": tickets[i % len(tickets)]}
            await go.wait()
            try:
                async with http.post(
                    f"{url}/api/orders", json=body, headers={"Authorization": authorization}
                ) as response:
                    payload = await response.json(content_type=None)
                    status = response.status
            except (aiohttp.ClientError, TimeoutError) as exc:
                answers[i] = (0, time.perf_counter(), type(exc).__name__)
                return
            order_id = payload.get("id") if status == 201 else None
            answers[i] = (status, time.perf_counter(), order_id)

        tasks = [asyncio.create_task(attempt(i)) for i in range(len(buyers))]
        await asyncio.sleep(0.5)  # every task is waiting at the gate
        every_before = cpu_by_name(every_pid)
        client_before = time.process_time()
        released = time.perf_counter()
        go.set()
        await asyncio.gather(*tasks)
        client_cpu = time.process_time() - client_before
        by_process = cpu_since(every_before, every_pid)
    last = max(at for _, at, _ in answers)
    winners: dict[str, list[tuple[int, str]]] = {}
    for i, (status, _, order_id) in enumerate(answers):
        if status == 201:
            winners.setdefault(tickets[i % len(tickets)], []).append((i, str(order_id)))
    return Race(
        system=system,
        attempts=len(buyers),
        statuses=Counter(status for status, _, _ in answers),
        latencies_ms=sorted((at - released) * 1000 for _, at, _ in answers),
        wall_s=last - released,
        server_cpu_s=by_process[server],
        client_cpu_s=client_cpu,
        cpu_by_process=by_process,
        winners=winners,
    )


async def check_ours(
    result: Race, buyers: list[tuple[str, str]], tickets: list[str], mongo_url: str
) -> list[str]:
    problems = []
    n, m = len(buyers), len(tickets)
    expected = Counter({201: m, 409: n - m})
    if result.statuses != expected:
        problems.append(f"answers {dict(result.statuses)}, expected {dict(expected)}")
    problems += [f"ticket {t} won {len(w)} times" for t, w in result.winners.items() if len(w) > 1]
    problems += [f"ticket {t} won by nobody" for t in tickets if t not in result.winners]
    told = {order_id: buyers[i][0] for won in result.winners.values() for i, order_id in won}
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url)
    try:
        wanted = {"ticket_id": {"$in": tickets}}
        orders = await client[f"{NAMESPACE}_orders"]["orders"].find(wanted).to_list()
    finally:
        await client.close()
    per_ticket = Counter(str(o["ticket_id"]) for o in orders)
    problems += [f"ticket {t} has {k} orders" for t, k in per_ticket.items() if k != 1]
    stored = {str(o["_id"]): str(o["buyer_id"]) for o in orders}
    if stored != told:
        unknown, lost = set(stored) - set(told), set(told) - set(stored)
        problems.append(
            f"orders not told to a winner: {len(unknown)}; told but not stored: {len(lost)}"
        )
    return problems


def check_baseline(result: Race, buyers: int, tickets: list[str]) -> list[str]:
    expected = Counter({201: len(tickets), 409: buyers - len(tickets)})
    if result.statuses != expected:
        return [f"baseline answers {dict(result.statuses)}, expected {dict(expected)}"]
    return []


def report(ours: Race, bare: Race, workers: int, connections: int) -> str:
    lines = [
        f"flash sale: {ours.attempts} buyers on {len(ours.winners)} tickets, "
        f"{workers} worker(s) per server, {connections} client connections",
        f"{'system':<10} {'winners':>7} {'attempts/s':>10} {'p50 ms':>8} {'p90 ms':>8} "
        f"{'p99 ms':>8} {'max ms':>8} {'srv CPU s':>9} {'client CPU s':>12}  answers",
    ]
    for r in (bare, ours):
        lines.append(
            f"{r.system:<10} {sum(len(w) for w in r.winners.values()):>7} {r.rate:>10.0f} "
            f"{r.p(50):>8.0f} {r.p(90):>8.0f} {r.p(99):>8.0f} {r.p(100):>8.0f} "
            f"{r.server_cpu_s:>9.2f} {r.client_cpu_s:>12.2f}  {dict(sorted(r.statuses.items()))}"
        )
    share = ours.rate / bare.rate if bare.rate else float("nan")
    p99 = ours.p(99) / bare.p(99) if bare.p(99) else float("nan")
    lines.append(
        f"ours/baseline: throughput {share:.2f}x (target >= {TARGET_RATE_SHARE:.2f}), "
        f"p99 {p99:.2f}x (target <= {TARGET_P99_RATIO:.1f}); server CPU per attempt "
        f"{ours.server_cpu_s / ours.attempts * 1e3:.2f} ms vs "
        f"{bare.server_cpu_s / bare.attempts * 1e3:.2f} ms"
    )
    for r in (bare, ours):  # where the cores went: what else ran during the race
        spent = sorted(r.cpu_by_process.items(), key=lambda item: -item[1])
        busy = ", ".join(f"{name} {cpu:.2f}" for name, cpu in spent if cpu >= 0.005)
        lines.append(f"CPU s during the {r.system} race, by process: {busy}")
    # Both races keep this machine's cores busy: the throughput follows the CPU that all
    # of a race's processes spend together, ours and the stand-ins' as well as the orders
    # worker's.
    totals = {r.system: sum(r.cpu_by_process.values()) + r.client_cpu_s for r in (bare, ours)}
    lines.append(
        "CPU s of every process and the client together: "
        + ", ".join(
            f"{r.system} {totals[r.system]:.2f} ({totals[r.system] / r.wall_s:.1f} cores busy)"
            for r in (bare, ours)
        )
        + f"; baseline/ours {totals[bare.system] / totals[ours.system]:.2f}"
    )
    return "\n".join(lines)


async def one_round(servers: Servers, args: argparse.Namespace) -> tuple[Race, Race, list[str]]:
    """New tickets and new buyers, the baseline's race, then ours; what failed its checks."""
    env = servers.env
    log(f"listing {args.tickets} tickets …")
    routes = {"/api/users": servers.url("auth"), "/api/tickets": servers.url("tickets")}
    tickets = await list_tickets(routes, args.tickets)
    await wait_known(env["MONGO_URL"], tickets, within_s=120)
    log(f"minting {args.buyers} buyers …")
    buyers = await mint_buyers(env["REDIS_URL"], args.buyers)
    await settle(servers)
    log("baseline race …")
    bare = await race(
        "baseline", servers.url("baseline"), buyers, tickets, args.connections,
        "baseline", servers.every_pid(),
    )  # fmt: skip
    await settle(servers)
    log("our race …")
    ours = await race(
        "ours", servers.url("orders"), buyers, tickets, args.connections,
        "orders", servers.every_pid(),
    )  # fmt: skip
    problems = check_baseline(bare, args.buyers, tickets)
    problems += await check_ours(ours, buyers, tickets, env["MONGO_URL"])
    return bare, ours, problems


async def settle(servers: Servers, *, idle_cpu_s: float = 0.05, within_s: float = 60.0) -> None:
    """Until every process the run started is (nearly) idle, half a second at a time: the
    facts of the tickets just listed, or of the race before, are digested before a race
    starts, not during it (a race shares the two cores with whatever is still running)."""
    pids = servers.every_pid()
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        before = cpu_by_name(pids)
        await asyncio.sleep(0.5)
        if sum(cpu_since(before, pids).values()) < idle_cpu_s:
            return
    log(f"the servers were still busy after {within_s:.0f} s; racing anyway")


def summary(pairs: Sequence[tuple[Race, Race]]) -> str:
    """The ratios over several rounds: this machine's speed varies from one minute to the
    next, so one pair of races says less than the median of several."""
    shares = sorted(ours.rate / bare.rate for bare, ours in pairs)
    p99s = sorted(ours.p(99) / bare.p(99) for bare, ours in pairs)
    return (
        f"over {len(pairs)} rounds, ours/baseline: throughput median "
        f"{statistics.median(shares):.2f}x ({shares[0]:.2f}-{shares[-1]:.2f}), p99 median "
        f"{statistics.median(p99s):.2f}x ({p99s[0]:.2f}-{p99s[-1]:.2f})"
    )


async def benchmark(servers: Servers, args: argparse.Namespace) -> int:
    pairs: list[tuple[Race, Race]] = []
    problems: list[str] = []
    for number in range(1, args.rounds + 1):
        if args.rounds > 1:
            log(f"round {number} of {args.rounds}")
        bare, ours, failed = await one_round(servers, args)
        pairs.append((bare, ours))
        problems += failed
        print(report(ours, bare, args.workers, args.connections), flush=True)
    if len(pairs) > 1:
        print(summary(pairs))
    print("checks: " + ("all held" if not problems else f"{len(problems)} FAILED"))
    for problem in problems[:20]:
        print(f"  {problem}")
    return 1 if problems else 0


# --------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------
def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buyers", type=int, default=1000)
    parser.add_argument("--tickets", type=int, default=100)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers per server")
    parser.add_argument("--connections", type=int, default=500, help="client keep-alive pool")
    parser.add_argument("--rounds", type=int, default=1, help="races of each, alternated")
    parser.add_argument("--time-limit", type=float, default=900.0, help="seconds, whole run")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("need --rounds >= 1")
    if not 0 < args.tickets <= args.buyers:
        parser.error("need 0 < --tickets <= --buyers")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    raise_fd_limit(args.buyers + 2 * args.connections)
    logs = ROOT / "artifacts" / "bench" / time.strftime("flash-sale-%Y%m%d-%H%M%S")
    logs.mkdir(parents=True, exist_ok=True)
    servers = Servers(logs)
    try:
        with time_limit(args.time_limit):
            start_servers(servers, args.workers)
            return asyncio.run(benchmark(servers, args))
    except TimeLimitReached:
        log(f"time limit of {args.time_limit:.0f}s reached; stopping (logs: {logs})")
        return 2
    except Exception:
        traceback.print_exc()
        log(f"logs: {logs}")
        return 1
    finally:
        servers.stop()


if __name__ == "__main__":
    sys.exit(main())

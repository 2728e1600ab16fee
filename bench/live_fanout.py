"""Fan-out benchmark of the live WebSocket gateway, against a bare Starlette broadcaster.

    uv run python -m bench.live_fanout [--clients 100,1000,3000] [--changes 20]
                                            [--gateways 1] [--rounds 1] [--time-limit 600]
                                            [--no-deflate]

Starts its own infrastructure on loopback (redis-server, the mongoeco wire server,
localstripe) and the services auth, tickets and live as separate uvicorn processes, plus
a baseline: one uvicorn process serving ``bench.baselines.bare_broadcaster`` (a WebSocket
route and a POST route that sends each posted message to every connected socket in turn).

With ``--gateways N`` the live service runs as N processes (one more port each, sharing
Redis, as replicas do) and client i connects to gateway i mod N.

For each client count C: C WebSocket clients subscribe to ``tickets`` on the live service;
a seller lists a ticket and changes its price K times through the REST API, one change
after the previous one reached every client. Each client's receipt of the matching
``ticket.price_changed`` (matched by its list price) is timed from the moment the PATCH
returned. Then the same C clients' worth of sockets connect to the baseline and the K
frames our gateway sent are POSTed, byte for byte as the first client received them (both
servers compress and send the same text), timed from the moment the POST returned (the
baseline sends after its response, as our fan-out happens after the REST call).

Printed: p50/p99/max latency, messages/s (messages delivered / time from the first
change's request to the last receipt), missing messages (C*K minus those received),
sockets the server closed, ours/baseline ratios, and the CPU each server process spent
from the first change to the last receipt, and this process's (``clients``: every
measuring client runs in it; with the gateways' CPU per message delivered:
the live service's also journals and consumes, the bare broadcaster's only sends), and
how much of that time the triggers' own round trips took (each change waits for the last
one's deliveries, so no message goes out during a trigger's request).
Targets (information only, not asserted): p99 ≤ 250 ms at 1,000 clients, and ≥ 70% of
the baseline's messages/s.

With ``--rounds R`` all of it (a new ticket, ours, then the baseline, for each count)
runs R times, and the medians of the R ratios are printed too: this machine's speed
drifts between minutes, so one pair of runs is a noisy figure.

The measuring clients all run in this process (with uvloop when installed); the servers
are child processes, stopped at the end, on error, on Ctrl-C and at the time limit.
Exit status: 0 when every configuration ran and every message arrived once (none missing,
dropped, doubled or of an unknown price), 1 otherwise or on an error, 2 at the time limit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import signal
import statistics
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from bench.common import (
    TimeLimitReached,
    cpu_by_name,
    cpu_since,
    expect,
    log,
    raise_fd_limit,
    ticket_body,
)
from tools.devstack.client import ApiClient
from tools.devstack.processes import Child, start_stand_ins
from tools.devstack.services import FACTORIES, ServiceProcesses

ROOT = Path(__file__).resolve().parents[1]
JWT_KEY = "load-bench-jwt-key-0123456789abcdef0123456789abcdef"
NAMESPACE = "loadbench"
SERVICES = ("auth", "tickets", "live")  # what live fan-out needs
BASELINE_FACTORY = "bench.baselines:bare_broadcaster"

# What the clients look for in a frame before parsing anything.
PRICE_CHANGED = '"ticket.price_changed"'
LISTED = '"ticket.listed"'
SUBSCRIBED = '"type":"subscribed"'
SUBSCRIBE_FRAME = json.dumps({"op": "subscribe", "topics": ["tickets"]}, separators=(",", ":"))

TARGET_CLIENTS = 1000
TARGET_P99_MS = 250.0
TARGET_RATE_SHARE = 0.7


# --------------------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------------------
@dataclass
class Servers:
    children: list[Child]
    logs: Path
    urls: dict[str, str]  # name -> http://127.0.0.1:port

    def check_alive(self) -> None:
        for child in self.children:
            if child.process.poll() is not None:
                raise RuntimeError(
                    f"{child.name} exited with {child.process.returncode}; "
                    f"see {self.logs / (child.name + '.log')}"
                )

    def pids(self) -> dict[str, list[int]]:
        """Each process by name (``live``, ``live2``, ``baseline``, the stand-ins)."""
        return {child.name: [child.process.pid] for child in self.children}

    def stop(self) -> None:
        for child in reversed(self.children):
            with contextlib.suppress(Exception):
                child.stop()
        self.children.clear()


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeLimitReached
    return left


def start_servers(servers: Servers, queue_size: int, deadline: float, gateways: int = 1) -> None:
    """Start everything, appending each child to ``servers`` as soon as it exists."""
    logs = servers.logs
    env = os.environ.copy() | start_stand_ins(logs, servers.children)
    env |= {
        "APP_ENV": "development",
        "JWT_KEY": JWT_KEY,
        "NAMESPACE": NAMESPACE,
        "LIVE_QUEUE_SIZE": str(queue_size),
    }
    processes = ServiceProcesses(logs, env)
    for name in SERVICES:
        servers.children.append(processes.spawn(name))
    # More gateway processes of the same app, sharing Redis (as replicas in Kubernetes).
    extra = [f"live{i}" for i in range(2, gateways + 1)]
    for name in extra:
        servers.children.append(processes.spawn(name, FACTORIES["live"]))
    servers.children.append(processes.spawn("baseline", BASELINE_FACTORY))
    for child in servers.children[3:]:  # they start in parallel
        child.wait_ready(timeout=min(90.0, _remaining(deadline)))
    servers.urls.update(processes.upstreams())
    # lifespans done: consumers and relays are running
    ready = [*SERVICES, *extra]
    asyncio.run(processes.wait_ready(ready, within_s=min(60.0, _remaining(deadline))))


# --------------------------------------------------------------------------------------
# Measuring clients
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Options:
    batch: int
    open_timeout: float
    change_timeout: float
    pause: float
    deflate: bool


@dataclass(frozen=True)
class Result:
    system: str
    clients: int
    changes: int
    latencies_ms: list[float]  # sorted
    delivered: int
    missing: int
    duplicates: int
    unexpected: int
    dropped: int
    wall_s: float
    cpu_s: dict[str, float]  # by process, from the first trigger to the last receipt
    trigger_s: float  # the triggers' own round trips, in all (part of ``wall_s``)

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return math.nan
        rank = max(1, math.ceil(p / 100 * len(self.latencies_ms)))
        return self.latencies_ms[rank - 1]

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p99(self) -> float:
        return self.percentile(99)

    @property
    def max(self) -> float:
        return self.latencies_ms[-1] if self.latencies_ms else math.nan

    @property
    def rate(self) -> float:
        return self.delivered / self.wall_s if self.wall_s > 0 else 0.0


class Round:
    """C sockets on one system and what they receive; all in this one process."""

    def __init__(self, system: str, clients: int, changes: int, options: Options) -> None:
        self.system = system
        self.n = clients
        self.k = changes
        self.options = options
        self.conns: list[ClientConnection] = []
        self.readers: list[asyncio.Task[None]] = []
        self.subscribed = 0
        self.frames = [0] * clients  # frames each socket received (for diagnostics)
        self.first_frames: dict[int, list[str]] = {}  # the first few, per socket
        self.listed = 0
        self.index: dict[int, int] = {}  # price amount -> change number
        self.sent_at: list[float] = [math.nan] * changes  # when each trigger returned
        self.trigger_s = 0.0  # the triggers' round trips, in all
        self.started = 0.0  # when the first change was asked for (``begin``)
        self._cpu_before: dict[str, float] = {}
        self._clients_before = 0.0
        self.arrivals: list[list[float]] = [[] for _ in range(changes)]
        self.texts: dict[int, str] = {}  # each change's frame as the first socket got it
        self.seen = [bytearray(changes) for _ in range(clients)]
        self.duplicates = 0
        self.unexpected = 0
        self.dropped = 0
        self.drop_reasons: Counter[str] = Counter()
        self.closing = False
        self._goal: Callable[[], bool] | None = None
        self._reached = asyncio.Event()

    # -- receiving (kept minimal: a substring test, JSON only for the frames we time) --
    async def _read(self, slot: int, conn: ClientConnection) -> None:
        try:
            async for data in conn:
                now = time.perf_counter()
                text = data if isinstance(data, str) else data.decode()
                self.frames[slot] += 1
                if self.frames[slot] <= 3:
                    self.first_frames.setdefault(slot, []).append(text[:120])
                if PRICE_CHANGED in text:
                    self._on_change(slot, text, now)
                elif SUBSCRIBED in text:
                    self.subscribed += 1
                    self._check()
                elif LISTED in text:
                    self.listed += 1
                    self._check()
        except ConnectionClosed:
            pass
        if not self.closing:
            self.dropped += 1
            self.drop_reasons[f"{conn.close_code} {conn.close_reason}"] += 1
            self._check()

    def _on_change(self, slot: int, text: str, now: float) -> None:
        change = self.index.get(listed_amount(json.loads(text)))
        if change is None:
            self.unexpected += 1
            return
        seen = self.seen[slot]
        if seen[change]:
            self.duplicates += 1
            return
        seen[change] = 1
        self.arrivals[change].append(now)
        if slot == 0:
            self.texts[change] = text
        self._check()

    def _check(self) -> None:
        if self._goal is not None and self._goal():
            self._reached.set()

    async def until(self, goal: Callable[[], bool], timeout: float) -> bool:
        """Wait until ``goal()`` holds; False after ``timeout`` seconds."""
        self._goal = goal
        self._reached.clear()
        try:
            if goal():
                return True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._reached.wait(), timeout)
            return goal()
        finally:
            self._goal = None

    # -- sockets ---------------------------------------------------------------------
    async def open(self, urls: Sequence[str], subscribe: str) -> None:
        """Open the sockets in batches, socket i on ``urls[i % len(urls)]`` (one URL per
        gateway process); each batch subscribed before the next opens."""
        opts = self.options
        url = ", ".join(urls)
        while len(self.conns) < self.n:
            size = min(opts.batch, self.n - len(self.conns))
            first = len(self.conns)
            results = await asyncio.gather(
                *(self._connect(urls[(first + j) % len(urls)]) for j in range(size)),
                return_exceptions=True,
            )
            opened = [r for r in results if isinstance(r, ClientConnection)]
            for conn in opened:
                slot = len(self.conns)
                self.conns.append(conn)
                self.readers.append(asyncio.create_task(self._read(slot, conn)))
            failures = [r for r in results if isinstance(r, BaseException)]
            if failures:
                raise RuntimeError(
                    f"{len(failures)} of {size} connections to {url} failed "
                    f"(after {len(self.conns)} opened): {failures[0]!r}"
                ) from failures[0]
            await asyncio.gather(*(conn.send(subscribe) for conn in opened))
            if not await self.until(
                lambda: self.subscribed + self.dropped >= len(self.conns), opts.open_timeout
            ):
                raise TimeoutError(
                    f"{self.system}: {self.subscribed} of {len(self.conns)} sockets subscribed "
                    f"after {opts.open_timeout}s; {self._stragglers()}"
                )

    def _stragglers(self) -> str:
        waiting = [
            slot
            for slot in range(len(self.conns))
            if not any(SUBSCRIBED in f for f in self.first_frames.get(slot, []))
        ]
        shown = [
            f"#{slot} ({self.frames[slot]} frames: {self.first_frames.get(slot, [])}, "
            f"state {self.conns[slot].state.name}, local port "
            f"{self.conns[slot].local_address[1]})"
            for slot in waiting[:5]
        ]
        return f"without 'subscribed': {', '.join(shown)}"

    async def _connect(self, url: str) -> ClientConnection:
        return await connect(
            url,
            open_timeout=self.options.open_timeout,
            close_timeout=2,
            ping_interval=None,  # the server pings idle sockets; we answer
            max_size=None,
            compression="deflate" if self.options.deflate else None,
        )

    async def close(self) -> None:
        self.closing = True
        batch = max(self.options.batch, 500)
        for start in range(0, len(self.conns), batch):
            chunk = self.conns[start : start + batch]
            await asyncio.gather(
                *(asyncio.wait_for(conn.close(), 5) for conn in chunk), return_exceptions=True
            )
        for task in self.readers:
            task.cancel()
        await asyncio.gather(*self.readers, return_exceptions=True)

    # -- the changes -------------------------------------------------------------------
    async def wait_delivered(self, change: int) -> None:
        arrivals = self.arrivals[change]
        ok = await self.until(
            lambda: len(arrivals) >= self.n - self.dropped, self.options.change_timeout
        )
        latencies = [t - self.sent_at[change] for t in arrivals]
        last = f"{max(latencies) * 1000:.1f}" if latencies else "-"
        note = "" if ok else f"  (gave up after {self.options.change_timeout}s)"
        log(
            f"  {self.system:<8} C={self.n:<5} change {change + 1}/{self.k}: "
            f"{len(arrivals)}/{self.n} received, last after {last} ms{note}"
        )

    def begin(self, pids: dict[str, list[int]]) -> None:
        """The changes start: time them, and count every process's CPU from now on, this
        one's as ``clients`` (every measuring client runs in it)."""
        self._cpu_before = cpu_by_name(pids)
        self._clients_before = time.process_time()
        self.started = time.perf_counter()

    def triggered(self, change: int, asked: float) -> None:
        """The trigger of ``change``, asked for at ``asked``, has returned."""
        self.sent_at[change] = time.perf_counter()
        self.trigger_s += self.sent_at[change] - asked

    def result(self, pids: dict[str, list[int]]) -> Result:
        cpu_s = cpu_since(self._cpu_before, pids)
        cpu_s["clients"] = time.process_time() - self._clients_before
        started = self.started
        if self.drop_reasons:
            reasons = ", ".join(f"{n} x close {r!r}" for r, n in self.drop_reasons.items())
            log(f"  {self.system:<8} C={self.n:<5} sockets closed by the server: {reasons}")
        latencies: list[float] = []
        last = started
        for change, arrivals in enumerate(self.arrivals):
            sent = self.sent_at[change]
            if arrivals and not math.isnan(sent):
                latencies.extend((t - sent) * 1000 for t in arrivals)
                last = max(last, *arrivals)
        delivered = sum(len(a) for a in self.arrivals)
        return Result(
            system=self.system,
            clients=self.n,
            changes=self.k,
            latencies_ms=sorted(latencies),
            delivered=delivered,
            missing=self.n * self.k - delivered,
            duplicates=self.duplicates,
            unexpected=self.unexpected,
            dropped=self.dropped,
            wall_s=last - started,
            cpu_s=cpu_s,
            trigger_s=self.trigger_s,
        )


def ws_url(base: str, path: str) -> str:
    return "ws" + base.removeprefix("http") + path


async def run_ours(
    servers: Servers, seller: ApiClient, n: int, k: int, base_price: int, opts: Options
) -> tuple[Result, dict[str, Any], dict[int, str]]:
    """C sockets on the live service; K price changes through ``PATCH /api/tickets/{id}``.
    Also the ticket as the last change left it, and each change's frame as it arrived."""
    round_ = Round("live", n, k, opts)
    try:
        gateways = [u for name, u in sorted(servers.urls.items()) if name.startswith("live")]
        await round_.open([ws_url(u, "/api/live") for u in gateways], SUBSCRIBE_FRAME)
        ticket = expect(await seller.sell(ticket_body(base_price)), 201, "list a ticket")
        if not await round_.until(lambda: round_.listed >= n - round_.dropped, 60):
            raise TimeoutError(f"live: {round_.listed} of {n} sockets saw ticket.listed in 60s")
        round_.begin(servers.pids())
        for change in range(k):
            amount = base_price + 1 + change
            round_.index[amount] = change
            asked = time.perf_counter()
            response = await seller.edit(
                ticket["id"], {"price": {"amount": amount, "currency": "usd"}}
            )
            round_.triggered(change, asked)
            ticket = expect(response, 200, f"price change {change + 1}")
            await round_.wait_delivered(change)
            if opts.pause:
                await asyncio.sleep(opts.pause)
        return round_.result(servers.pids()), ticket, round_.texts
    finally:
        await round_.close()


def listed_amount(frame: dict[str, Any]) -> int:
    """The list price a ``ticket.price_changed`` frame tells of: what the seller set (the
    frame's ``price`` is all-in, the buyer fee on top)."""
    return int(frame["ticket"]["breakdown"]["listPrice"]["amount"])


def baseline_frame(ticket: dict[str, Any], cursor: int, amount: int) -> str:
    """A frame of the shape of the live gateway's ``ticket.price_changed`` (``amount``:
    the list price; the fees kept as the ticket has them), for a change none of ours
    arrived for. It lacks the event's availability, which the journal adds to ours."""
    previous, breakdown = ticket["price"], ticket["breakdown"]
    price = {"amount": amount, "currency": previous["currency"]}
    listed = breakdown | {"listPrice": price}
    view = {k: v for k, v in ticket.items() if k != "createdAt"} | {
        "price": price,
        "breakdown": listed,
    }
    body = {
        "cursor": cursor,
        "ticketId": ticket["id"],
        "type": "ticket.price_changed",
        "price": price,
        "previousPrice": previous,
        "ticket": view,
    }
    return json.dumps(body, separators=(",", ":"))


async def run_baseline(
    servers: Servers,
    http: httpx.AsyncClient,
    n: int,
    k: int,
    ticket: dict[str, Any],
    opts: Options,
    ours: dict[int, str],
) -> Result:
    """The same C sockets' worth on the bare broadcaster, which sends change i as the
    frame our gateway sent for it (``ours``), byte for byte: both compress and send the
    same text. A change none of ours arrived for is sent as ``baseline_frame`` builds it."""
    round_ = Round("baseline", n, k, opts)
    url = servers.urls["baseline"]
    try:
        await round_.open([ws_url(url, "/ws")], SUBSCRIBE_FRAME)
        base_price = int(ticket["price"]["amount"]) + 1000
        round_.begin(servers.pids())
        for change in range(k):
            frame = ours.get(change) or baseline_frame(ticket, change + 1, base_price + change)
            round_.index[listed_amount(json.loads(frame))] = change
            asked = time.perf_counter()
            response = await http.post(url + "/broadcast", content=frame)
            round_.triggered(change, asked)
            if response.status_code != 202:
                raise RuntimeError(f"baseline POST: {response.status_code} {response.text[:200]}")
            await round_.wait_delivered(change)
            if opts.pause:
                await asyncio.sleep(opts.pause)
        return round_.result(servers.pids())
    finally:
        await round_.close()


async def benchmark(
    servers: Servers,
    counts: Sequence[int],
    k: int,
    opts: Options,
    rounds: int,
    results: list[list[Result]],
) -> None:
    """``rounds`` times, each count on ours then on the baseline; each round's results
    in a list of its own."""
    urls = servers.urls
    routes = {"/api/users": urls["auth"], "/api/tickets": urls["tickets"]}
    async with ApiClient(routes=routes) as seller, httpx.AsyncClient(timeout=30) as poster:
        email = f"seller-{os.getpid()}-{int(time.time())}@example.com"
        password = "correct horse battery"
        expect(await seller.sign_up(email, password), 201, "sign up the seller")
        for number in range(1, rounds + 1):
            if rounds > 1:
                log(f"round {number} of {rounds}")
            this_round: list[Result] = []
            results.append(this_round)
            for index, n in enumerate(counts):
                log(f"-- {n} clients: live service")
                base_price = 10_000 + index * 1_000
                ours, ticket, frames = await run_ours(servers, seller, n, k, base_price, opts)
                this_round.append(ours)
                servers.check_alive()
                await asyncio.sleep(1.0)  # let the server settle after the closes
                log(f"-- {n} clients: baseline")
                this_round.append(await run_baseline(servers, poster, n, k, ticket, opts, frames))
                servers.check_alive()
                await asyncio.sleep(1.0)


# --------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------
def _num(value: float, width: int, digits: int = 1) -> str:
    return f"{'-':>{width}}" if math.isnan(value) else f"{value:>{width}.{digits}f}"


def _ratio(a: float, b: float) -> float:
    return a / b if b and not math.isnan(a) and not math.isnan(b) else math.nan


def report(results: list[Result], deflate: bool) -> str:
    lines = [
        "",
        f"live fan-out: latency from the trigger returning to each receipt "
        f"(permessage-deflate {'on' if deflate else 'off'})",
        f"{'clients':>7}  {'system':<9} {'p50_ms':>8} {'p99_ms':>8} {'max_ms':>8} "
        f"{'msgs/s':>10} {'missing':>8} {'dropped':>8} {'dup':>5}",
    ]
    by_count: dict[int, dict[str, Result]] = {}
    for r in results:
        by_count.setdefault(r.clients, {})[r.system] = r
    for n, pair in by_count.items():
        for r in pair.values():
            lines.append(
                f"{n:>7}  {r.system:<9} {_num(r.p50, 8)} {_num(r.p99, 8)} {_num(r.max, 8)} "
                f"{_num(r.rate, 10, 0)} {r.missing:>8} {r.dropped:>8} {r.duplicates:>5}"
            )
        ours, base = pair.get("live"), pair.get("baseline")
        if ours is not None and base is not None:
            lines.append(
                f"{n:>7}  {'ratio':<9} {_num(_ratio(ours.p50, base.p50), 8, 2)} "
                f"{_num(_ratio(ours.p99, base.p99), 8, 2)} {'-':>8} "
                f"{_num(_ratio(ours.rate, base.rate), 10, 2)}"
            )
    lines.append("ratio = live / baseline (latency: lower is better; msgs/s: higher is better)")
    for r in results:
        gateways = sum(s for name, s in r.cpu_s.items() if name.startswith(("live", "baseline")))
        busy = sorted((name, s) for name, s in r.cpu_s.items() if s >= 0.01)
        by_process = ", ".join(f"{name} {s:.2f}" for name, s in busy)
        per_message = gateways / r.delivered * 1e6 if r.delivered else math.nan
        lines.append(
            f"{r.system} at {r.clients}: {_num(per_message, 0)} µs of gateway CPU per message "
            f"delivered; CPU s during the changes, by process: {by_process}"
        )
        # The next change waits for the last one's deliveries: each trigger's round trip
        # (ours: the price change itself, through the tickets service and MongoDB; the
        # baseline's: a bare POST) is time in which no message goes out.
        lines.append(
            f"{r.system} at {r.clients}: the triggers' round trips {r.trigger_s * 1000:.1f} ms "
            f"of the {r.wall_s * 1000:.1f} ms, {_num(r.trigger_s / r.changes * 1000, 1, 1)} ms "
            "a change"
        )
    notes = []
    for n, pair in by_count.items():
        ours, base = pair.get("live"), pair.get("baseline")
        if ours is None or base is None or n != TARGET_CLIENTS:
            continue
        p99_ok = ours.p99 <= TARGET_P99_MS
        share = _ratio(ours.rate, base.rate)
        notes.append(
            f"targets at {n} clients (information): p99 {ours.p99:.1f} ms "
            f"{'<=' if p99_ok else '>'} {TARGET_P99_MS:.0f} ms; msgs/s {share:.0%} of baseline "
            f"({'>=' if share >= TARGET_RATE_SHARE else '<'} {TARGET_RATE_SHARE:.0%})"
        )
    oddities = [
        f"{r.system} at {r.clients}: {r.unexpected} frames with an unknown price"
        for r in results
        if r.unexpected
    ] + [
        f"{r.system} at {r.clients}: {sum(1 for v in r.latencies_ms if v < 0)} receipts "
        "seen before the trigger's response (negative latencies, kept as measured)"
        for r in results
        if r.latencies_ms and r.latencies_ms[0] < 0
    ]
    return "\n".join([*lines, "", *notes, *oddities]).rstrip() + "\n"


def summary(rounds: Sequence[Sequence[Result]]) -> str:
    """Per client count, the medians (and ranges) of the rounds' ratios."""
    ratios: dict[int, list[tuple[float, float]]] = {}
    for results in rounds:
        by_system = {(r.clients, r.system): r for r in results}
        for n in dict.fromkeys(r.clients for r in results):
            ours, base = by_system.get((n, "live")), by_system.get((n, "baseline"))
            if ours is not None and base is not None:
                pair = (_ratio(ours.rate, base.rate), _ratio(ours.p99, base.p99))
                ratios.setdefault(n, []).append(pair)
    lines = []
    for n, pairs in ratios.items():
        shares = sorted(share for share, _ in pairs)
        p99s = sorted(p99 for _, p99 in pairs)
        lines.append(
            f"over {len(pairs)} rounds at {n} clients, live/baseline: msgs/s median "
            f"{statistics.median(shares):.2f} ({shares[0]:.2f}-{shares[-1]:.2f}), p99 median "
            f"{statistics.median(p99s):.2f} ({p99s[0]:.2f}-{p99s[-1]:.2f})"
        )
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------
def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.live_fanout", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--clients", default="100,1000,3000", help="comma-separated counts")
    parser.add_argument("--changes", type=int, default=20, help="price changes per count (K)")
    parser.add_argument("--time-limit", type=float, default=600.0, help="seconds, in all")
    parser.add_argument("--batch", type=int, default=50, help="sockets opened at once")
    parser.add_argument("--open-timeout", type=float, default=30.0, help="per batch, seconds")
    parser.add_argument("--change-timeout", type=float, default=15.0, help="per change, seconds")
    parser.add_argument("--pause", type=float, default=0.0, help="seconds between changes")
    parser.add_argument("--rounds", type=int, default=1, help="the whole run, R times")
    parser.add_argument("--queue-size", type=int, default=10_000, help="LIVE_QUEUE_SIZE")
    parser.add_argument(
        "--gateways", type=int, default=1, help="live gateway processes, clients spread evenly"
    )
    parser.add_argument(
        "--no-deflate",
        dest="deflate",
        action="store_false",
        help="do not offer permessage-deflate (browsers offer it; the default does too)",
    )
    args = parser.parse_args(argv)
    try:
        args.counts = [int(c) for c in args.clients.split(",") if c.strip()]
    except ValueError:
        parser.error("--clients takes comma-separated integers")
    if not args.counts or min(args.counts) < 1 or args.changes < 1 or args.batch < 1:
        parser.error("client counts, --changes and --batch must be positive")
    if args.rounds < 1:
        parser.error("--rounds must be positive")
    if args.time_limit <= 0:
        parser.error("--time-limit must be positive")
    return args


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


@contextlib.contextmanager
def _signals(time_limit: float) -> Iterator[None]:
    """SIGTERM behaves as Ctrl-C; an alarm backs up the time limit in blocking code."""

    def on_term(signum: int, _: FrameType | None) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    def on_alarm(_: int, __: FrameType | None) -> None:
        raise TimeLimitReached

    old_term = signal.signal(signal.SIGTERM, on_term)
    old_alarm = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(math.ceil(time_limit) + 30)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old_alarm)
        signal.signal(signal.SIGTERM, old_term)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    deadline = time.monotonic() + args.time_limit
    options = Options(
        batch=args.batch,
        open_timeout=args.open_timeout,
        change_timeout=args.change_timeout,
        pause=args.pause,
        deflate=args.deflate,
    )
    logs = ROOT / "artifacts" / "load" / time.strftime("live_fanout-%Y%m%d-%H%M%S")
    logs.mkdir(parents=True, exist_ok=True)
    raise_fd_limit(max(args.counts))
    servers = Servers(children=[], logs=logs, urls={})
    rounds: list[list[Result]] = []
    status = 0
    with _signals(args.time_limit):
        try:
            log(f"starting servers (logs: {logs})")
            start_servers(servers, args.queue_size, deadline, args.gateways)
            log("servers: " + ", ".join(f"{k}={v}" for k, v in servers.urls.items()))

            async def bounded() -> None:
                async with asyncio.timeout(_remaining(deadline)):
                    await benchmark(
                        servers, args.counts, args.changes, options, args.rounds, rounds
                    )

            with asyncio.Runner(loop_factory=_loop_factory()) as runner:
                runner.run(bounded())
        except (TimeoutError, TimeLimitReached) as exc:
            if isinstance(exc, TimeLimitReached) or time.monotonic() >= deadline:
                log(f"time limit of {args.time_limit:.0f}s reached: stopping")
                status = 2
            else:
                traceback.print_exc()
                status = 1
        except KeyboardInterrupt:
            log("interrupted: stopping")
            status = 130
        except Exception:
            traceback.print_exc()
            log(f"server logs: {logs}")
            status = 1
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # an orderly shutdown
            try:
                servers.stop()
            finally:
                signal.signal(signal.SIGINT, signal.default_int_handler)
    for number, results in enumerate(rounds, 1):
        if args.rounds > 1:
            print(f"\nround {number} of {args.rounds}", end="")
        print(report(results, args.deflate), end="", flush=True)
    if len(rounds) > 1:
        print("\n" + summary(rounds), end="", flush=True)
    if rounds:
        results = [r for round_results in rounds for r in round_results]
        failed = [r for r in results if r.missing or r.unexpected or r.duplicates or r.dropped]
        print("checks: " + (f"{len(failed)} FAILED" if failed else "all held"), flush=True)
        if failed and status == 0:
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())

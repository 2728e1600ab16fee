"""The purchase hot path in process: CPU per ``POST /api/orders``, lost and won, against
the bare lock app measured in the same run, and where the time goes (cProfile).

    uv run python -m bench.hot_path [--losers 3000] [--winners 300] [--buyers 1000]
                                    [--profile lost|won|sale]

Starts its own redis-server and Mongo-wire server on loopback, runs the orders service's
ASGI app (``backend.orders.app.create_app``, lifespan included: its relay and consumer
run as in production) and ``bench.baselines.bare_lock`` in this process, and calls
them as uvicorn would, without sockets or HTTP parsing (what both pay alike). A lost race
is a buyer ordering a ticket another order holds; a won race is a buyer ordering a ticket
nobody holds (its replica and card written beforehand, as the ticket facts would). A sale
is ``--buyers`` new buyers at once on a tenth as many tickets nobody holds, buyer i on
ticket i mod M, as in ``bench/flash_sale.py``: the first looks of one moment all find the
tickets free, so most losers lose at the lock, and the winners record their orders.

Printed: µs of this process's CPU per request, lost one at a time and all of a round at
once (as in a sale), lost at once by new buyers (each token new to the service, as most
are in a sale), won at once, and a whole sale per attempt (the best of five rounds; this
machine's speed varies between runs, so compare within one run), the baseline's, and the
ratio. ``--profile`` adds the cProfile table of one more round (lost, won or a sale), by
own time.
Exit status: 0 when every lost race got 409 and every won race 201, 1 otherwise, 2 at
the time limit (``--time-limit``).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from bson import ObjectId
from redis.asyncio import Redis
from starlette.types import ASGIApp, Message

from backend.common.auth import Revocations
from backend.common.keys import RedisKeys
from backend.common.outbox import PENDING
from backend.common.settings import Settings
from backend.orders.app import create_app
from backend.orders.cards import Terms, TicketCards
from backend.orders.models import Order, TicketReplica
from bench.baselines import bare_lock
from bench.common import TimeLimitReached, log, mint_sessions, time_limit
from tools.devstack.processes import Child, start_stand_ins
from wire.values import Event, Money, TicketStatus

NAMESPACE = "hotpath"
JWT_KEY = "hot-path-bench-jwt-key-0123456789abcdef0123456789abcdef"
ROUNDS = 5

type Call = Callable[[int], Awaitable[None]]


class Asgi:
    """Calls an ASGI app as a server would: its lifespan, then one request at a time."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.state: dict[str, Any] = {}
        self.statuses: Counter[int] = Counter()
        self._messages: asyncio.Queue[Message] = asyncio.Queue()
        self._sent: asyncio.Queue[Message] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": self.state}

        async def serve() -> None:
            await self.app(scope, self._messages.get, self._sent.put)

        self._task = asyncio.create_task(serve())
        await self._messages.put({"type": "lifespan.startup"})
        started = await self._sent.get()
        if started["type"] != "lifespan.startup.complete":
            raise RuntimeError(f"the app did not start: {started}")

    async def stop(self) -> None:
        await self._messages.put({"type": "lifespan.shutdown"})
        if self._task is not None:
            await self._task

    async def post(self, path: str, body: bytes, token: str) -> None:
        headers = [
            (b"host", b"127.0.0.1"),
            (b"authorization", f"Bearer {token}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 80),
            "state": dict(self.state),
        }
        delivered = False

        async def receive() -> Message:
            nonlocal delivered
            if delivered:  # a server's receive waits for the client to go away
                await asyncio.Event().wait()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.statuses[message["status"]] += 1

        await self.app(scope, receive, send)


async def measure(call: Call, count: int, *, start: int = 0, concurrent: bool = False) -> float:
    """µs of this process's CPU per call over ``count`` calls (numbered from ``start``)."""
    began = time.process_time()
    if concurrent:
        await asyncio.gather(*(call(start + i) for i in range(count)))
    else:
        for i in range(count):
            await call(start + i)
    return (time.process_time() - began) / count * 1e6


async def best_of(
    call: Call, count: int, *, start: int = 0, concurrent: bool = False, apart: bool = False
) -> float:
    """The best of ``ROUNDS`` rounds; ``apart``: each begun once the relay has drained."""
    per_round = max(1, count // ROUNDS)
    rounds = []
    for r in range(ROUNDS):
        if apart:
            await drained()
        rounds.append(
            await measure(call, per_round, start=start + r * per_round, concurrent=concurrent)
        )
    return min(rounds)


async def drained(within_s: float = 60.0) -> None:
    """Until the relay has sent every fact the rounds before left (its work is their own,
    not the next round's)."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if not await Order.find(PENDING).count():
            return
        await asyncio.sleep(0.1)


async def profiled(call: Call, count: int, *, start: int, concurrent: bool, out: TextIO) -> None:
    profile = cProfile.Profile()
    profile.enable()
    await measure(call, count, start=start, concurrent=concurrent)
    await asyncio.sleep(1.0)  # what the requests left to the relay and consumer
    profile.disable()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(30)


async def run(env: dict[str, str], args: argparse.Namespace) -> int:
    ours, bare = Asgi(create_app(Settings())), Asgi(bare_lock())
    await ours.start()
    await bare.start()
    redis = Redis.from_url(env["REDIS_URL"])
    keys = RedisKeys(NAMESPACE)
    try:
        seller = str(ObjectId())
        event = Event(
            name="The Band",
            kind="concert",
            venue="Arena",
            starts_at=datetime.now(UTC) + timedelta(days=30),
            id=str(ObjectId()),
        )
        # Lost races: one ticket, held by an order, tried again and again by one buyer.
        held = str(ObjectId())
        price = Money(amount=5_000, currency="usd")
        terms = Terms(seller_id=seller, title="Front row", event=event, price=price)
        cards = TicketCards(redis, keys)  # as the orders service's ticket handlers write them

        async def card(ticket_id: str) -> None:
            available = TicketStatus.AVAILABLE.value
            await cards.put(
                ticket_id, None, version=0, owner_id=seller, status=available, terms=terms
            )

        await card(held)
        await redis.set(keys.ticket_lock(held), f"order:{ObjectId()}")
        # Won races: a ticket per winner, known to the orders service; then the sales'.
        won = args.winners * (ROUNDS + 2)
        tickets = [str(ObjectId()) for _ in range(won)]
        on_sale = [str(ObjectId()) for _ in range((ROUNDS + 1) * (args.buyers // 10))]
        for ticket_id in tickets + on_sale:
            replica = TicketReplica(
                id=ticket_id,
                title="Front row",
                event=event,
                seller_id=seller,
                owner_id=seller,
                status=TicketStatus.AVAILABLE,
                version=0,
                price=price,
            )
            await replica.insert()
            await card(ticket_id)
        sessions = Revocations(redis, keys)

        tokens = [token for _, token in await mint_sessions(sessions, key=JWT_KEY, count=won + 1)]
        # A buyer's first request to the service: its token is new there (in a sale, most).
        minted = await mint_sessions(sessions, key=JWT_KEY, count=2 * args.losers)
        newcomers = [token for _, token in minted]
        crowd = await mint_sessions(sessions, key=JWT_KEY, count=(ROUNDS + 1) * args.buyers)
        shoppers = [token for _, token in crowd]
        lost_body = json.dumps({"ticketId": held}).encode()

        async def lose(_: int) -> None:
            await ours.post("/api/orders", lost_body, tokens[-1])

        async def lose_bare(_: int) -> None:
            await bare.post("/api/orders", lost_body, tokens[-1])

        async def lose_new(i: int) -> None:
            await ours.post("/api/orders", lost_body, newcomers[i])

        async def lose_new_bare(i: int) -> None:
            await bare.post("/api/orders", lost_body, newcomers[args.losers + i])

        async def win(i: int) -> None:
            await ours.post("/api/orders", json.dumps({"ticketId": tickets[i]}).encode(), tokens[i])

        async def win_bare(i: int) -> None:
            body = json.dumps({"ticketId": tickets[i]}).encode()
            await bare.post("/api/orders", body, tokens[i])

        def sale_body(i: int) -> bytes:  # buyer i of round r: ticket i mod M of round r
            per_round = args.buyers // 10
            ticket = on_sale[i // args.buyers * per_round + i % args.buyers % per_round]
            return json.dumps({"ticketId": ticket}).encode()

        async def buy(i: int) -> None:
            await ours.post("/api/orders", sale_body(i), shoppers[i])

        async def buy_bare(i: int) -> None:
            await bare.post("/api/orders", sale_body(i), shoppers[i])

        for _ in range(200):  # warm both
            await lose(0)
            await lose_bare(0)
        lost_ours = await best_of(lose, args.losers)
        lost_bare = await best_of(lose_bare, args.losers)
        # As in a sale: many lost races at once (what one turn of the event loop shares).
        crowd_ours = await best_of(lose, args.losers, concurrent=True)
        crowd_bare = await best_of(lose_bare, args.losers, concurrent=True)
        # The same, each lost race a new buyer's (its session token verified first).
        fresh_ours = await best_of(lose_new, args.losers, concurrent=True)
        fresh_bare = await best_of(lose_new_bare, args.losers, concurrent=True)
        # Winners race at once, as in a sale; each ticket is won once, by ours and by bare.
        won_ours = await best_of(win, args.winners * ROUNDS, concurrent=True)
        won_bare = await best_of(win_bare, args.winners * ROUNDS, concurrent=True)
        # Whole sales: a round is one sale (every buyer at once, on fresh tickets).
        sale_ours = await best_of(buy, args.buyers * ROUNDS, concurrent=True, apart=True)
        sale_bare = await best_of(buy_bare, args.buyers * ROUNDS, concurrent=True, apart=True)
        out = args.out
        header = f"{'POST /api/orders':<18} {'ours µs CPU':>12} {'bare µs CPU':>12}"
        print(f"{header} {'bare/ours':>10}", file=out)
        rows = (
            ("lost race", lost_ours, lost_bare),
            ("lost, at once", crowd_ours, crowd_bare),
            ("lost, new buyers", fresh_ours, fresh_bare),
            ("won race", won_ours, won_bare),
            ("a sale, per buyer", sale_ours, sale_bare),
        )
        for name, mine, theirs in rows:
            print(f"{name:<18} {mine:>12.0f} {theirs:>12.0f} {theirs / mine:>10.2f}", file=out)
        if args.profile == "lost":
            await profiled(lose, args.losers // ROUNDS, start=0, concurrent=False, out=out)
        elif args.profile == "won":
            extra = args.winners * ROUNDS
            count = min(args.winners, won - extra)
            await profiled(win, count, start=extra, concurrent=True, out=out)
        elif args.profile == "sale":
            start = args.buyers * ROUNDS
            await drained()
            await profiled(buy, args.buyers, start=start, concurrent=True, out=out)
        sales = ROUNDS + (1 if args.profile == "sale" else 0)
        expected_wins = args.winners * ROUNDS + (args.winners if args.profile == "won" else 0)
        expected_wins += sales * (args.buyers // 10)
        wins = ours.statuses[201]
        problems = [] if wins == expected_wins else [f"{wins} won, {expected_wins} expected"]
        problems += [f"{n} answered {s}" for s, n in ours.statuses.items() if s not in (201, 409)]
        print("checks: " + ("all held" if not problems else f"{len(problems)} FAILED"), file=out)
        for problem in problems:
            print(f"  {problem}", file=out)
        return 1 if problems else 0
    finally:
        await redis.aclose()
        await ours.stop()
        await bare.stop()


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.hot_path", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--losers", type=int, default=3000, help="lost races, in all")
    parser.add_argument("--winners", type=int, default=300, help="won races per round")
    parser.add_argument("--buyers", type=int, default=1000, help="buyers per sale (10 a ticket)")
    parser.add_argument(
        "--profile", choices=("lost", "won", "sale"), help="cProfile one more round"
    )
    parser.add_argument("--time-limit", type=float, default=600.0, help="seconds, whole run")
    args = parser.parse_args(argv)
    if args.losers < ROUNDS or args.winners < 1 or args.buyers < 10:
        parser.error(f"need --losers >= {ROUNDS}, --winners >= 1 and --buyers >= 10")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    children: list[Child] = []
    with tempfile.TemporaryDirectory(prefix="hot-path-") as logs:
        # The report on this stdout; the services' logs (one line per request, as in
        # production) to a file, as the flash-sale benchmark's servers write theirs.
        args.out = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
        sys.stdout.flush()
        with open(Path(logs) / "app.log", "w") as app_log:
            os.dup2(app_log.fileno(), sys.stdout.fileno())
        try:
            env = start_stand_ins(Path(logs), children)
            os.environ.update(
                env
                | {
                    "APP_ENV": "development",
                    "JWT_KEY": JWT_KEY,
                    "NAMESPACE": NAMESPACE,
                    # One address and one buyer for every lost race: the budgets are
                    # counted as always, never spent.
                    "ORDER_RATE_PER_IP": "1000000000",
                    "ORDER_RATE_PER_USER": "1000000000",
                    "LOG_JSON": "true",  # as in production
                }
            )
            log("measuring …")
            with time_limit(args.time_limit):
                return asyncio.run(run(env, args))
        except TimeLimitReached:
            log(f"time limit of {args.time_limit:.0f}s reached; stopping")
            return 2
        finally:
            for child in reversed(children):
                child.stop()


if __name__ == "__main__":
    sys.exit(main())

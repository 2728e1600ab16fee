"""A trading bot: watches the market live and buys any ticket under a price.

    uv run python -m examples.bot --email bot@example.com --password 'a long secret' \
        --max-price 5000 [--event <event id>] [--url http://localhost:8000] [--pay pm_card_visa]

It signs in for a bearer token (``POST /api/users/token``), subscribes to the ``tickets``
topic of ``/api/live`` (with ``--event``: that event's topic ``event:<id>``, its listings
only), and for every ticket listed, unlocked or re-priced at or under
``--max-price`` cents starts a purchase (``POST /api/orders``) and pays it
(``POST /api/payments``). It reconnects with ``since=<cursor>`` so it misses nothing.
Every answer and frame is read with the marketplace's own models (``wire``).

It keeps to the marketplace's fair-hold limits and says so: it prints the order budget
each answer announces (``RateLimit-Remaining`` of ``RateLimit-Limit``, renewed in
``RateLimit-Reset`` seconds), pauses until the reset when the budget is spent instead of
being refused, and waits ``Retry-After`` seconds when refused with 429 all the same (or
409 for holding too many unpaid orders — it pays each order at once, so it rarely does).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from typing import Any

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from wire.live import Resync, Snapshot, TicketMessage, parse_frame
from wire.orders import OrderPublic
from wire.payments import PaymentPublic
from wire.tickets import TicketPublic
from wire.users import CurrentUserResponse, TokenResponse
from wire.values import TicketStatus

BUYABLE = {"ticket.listed", "ticket.unlocked", "ticket.price_changed"}
ATTEMPTS = 3  # per ticket, when told to wait


class Pacing:
    """The order budget the API announces (``RateLimit-*``, ``Retry-After``): the bot
    waits for it rather than spend requests on refusals."""

    def __init__(self) -> None:
        self.resume_at = 0.0

    async def wait(self) -> None:
        delay = self.resume_at - asyncio.get_running_loop().time()
        if delay > 0:
            print(f"  pausing {delay:.1f}s: waiting for the order budget to renew")
            await asyncio.sleep(delay)

    def read(self, answer: httpx.Response) -> float | None:
        """Note the budget left; after a 429, the seconds it says to wait."""
        now = asyncio.get_running_loop().time()
        remaining, limit = (
            answer.headers.get("RateLimit-Remaining"),
            answer.headers.get("RateLimit-Limit"),
        )
        reset = int(answer.headers.get("RateLimit-Reset", "1"))
        if remaining is not None:
            print(f"  order budget: {remaining} of {limit} left (renews in {reset}s)")
            if int(remaining) <= 0:
                self.resume_at = max(self.resume_at, now + reset)
        retry_after = answer.headers.get("Retry-After")
        if answer.status_code == 429 and retry_after is not None:
            self.resume_at = max(self.resume_at, now + float(retry_after))
            return float(retry_after)
        return None


async def token_for(http: httpx.AsyncClient, email: str, password: str) -> str:
    response = await http.post("/api/users/token", json={"email": email, "password": password})
    response.raise_for_status()
    return TokenResponse.model_validate_json(response.content).token


def refusal(response: httpx.Response) -> str:
    return str(response.json()["errors"][0]["message"])


async def buy(http: httpx.AsyncClient, ticket: TicketPublic, method: str, pacing: Pacing) -> None:
    for _ in range(ATTEMPTS):
        await pacing.wait()
        answer = await http.post("/api/orders", json={"ticketId": ticket.id})
        retry_after = pacing.read(answer)
        if answer.status_code == 201:
            break
        if answer.status_code == 429 and retry_after is not None:
            print(f"  told to wait for {ticket.title!r}: {refusal(answer)} ({retry_after:.0f}s)")
            continue  # pacing.wait() sleeps it off
        print(f"  missed {ticket.title!r}: {refusal(answer)}")
        return
    else:
        print(f"  gave up on {ticket.title!r} after {ATTEMPTS} attempts")
        return
    order = OrderPublic.model_validate_json(answer.content)
    paid = await http.post("/api/payments", json={"orderId": order.id, "paymentMethodId": method})
    outcome = (
        PaymentPublic.model_validate_json(paid.content).status.value
        if paid.status_code < 400
        else refusal(paid)
    )
    amount = f"{ticket.price.amount / 100:.2f} {ticket.price.currency}"
    print(f"  bought {ticket.title!r} for {amount}: {outcome}")


async def run(args: argparse.Namespace) -> None:
    async with httpx.AsyncClient(base_url=args.url, timeout=30) as http:
        token = await token_for(http, args.email, args.password)
        auth = {"Authorization": f"Bearer {token}"}
        http.headers.update(auth)
        me = CurrentUserResponse.model_validate_json(
            (await http.get("/api/users/currentuser")).content
        ).current_user
        assert me is not None, "the token names no user"
        ws_url = "ws" + args.url.removeprefix("http") + "/api/live"
        cursor: int | None = None
        tried: set[str] = set()
        pacing = Pacing()

        def wanted(ticket: TicketPublic) -> bool:
            return (
                ticket.status is TicketStatus.AVAILABLE
                and ticket.seller_id != me.id
                and ticket.price.amount <= args.max_price
                and ticket.id not in tried
            )

        while True:
            try:
                async with connect(ws_url, additional_headers=auth) as ws:
                    topic = f"event:{args.event}" if args.event else "tickets"
                    subscribe: dict[str, Any] = {"op": "subscribe", "topics": [topic]}
                    if cursor is not None:
                        subscribe["since"] = cursor
                    await ws.send(json.dumps(subscribe))
                    print(f"watching {topic} for tickets ≤ {args.max_price / 100:.2f}")
                    async for raw in ws:
                        message = parse_frame(raw)
                        cursor = message.cursor if message.cursor is not None else cursor
                        candidates: list[TicketPublic] = []
                        if isinstance(message, Snapshot):
                            candidates = message.tickets or []
                        elif isinstance(message, TicketMessage) and message.type in BUYABLE:
                            candidates = [message.ticket]
                        elif isinstance(message, Resync):
                            cursor = None  # too far behind: the snapshot that follows has it all
                        for ticket in filter(wanted, candidates):
                            tried.add(ticket.id)
                            await buy(http, ticket, args.pay, pacing)
            except (ConnectionClosed, OSError) as exc:
                print(f"connection lost ({exc}); reconnecting from cursor {cursor}")
                await asyncio.sleep(1)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://localhost:8000")
    parser.add_argument("--email", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument(
        "--max-price", type=int, required=True, help="the all-in price, in cents (fees included)"
    )
    parser.add_argument("--pay", default="pm_card_visa", help="Stripe payment method id")
    parser.add_argument("--event", default=None, help="watch this event only (its id)")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()

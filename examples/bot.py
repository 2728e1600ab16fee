"""A trading bot: watches the market live and buys any ticket under a price.

    uv run python examples/bot.py --email bot@example.com --password 'a long secret' \
        --max-price 5000 [--url http://localhost:8000] [--pay pm_card_visa]

It signs in for a bearer token (``POST /api/users/token``), subscribes to the ``tickets``
topic of ``/api/live``, and for every ticket listed, unlocked or re-priced at or under
``--max-price`` cents starts a purchase (``POST /api/orders``) and pays it
(``POST /api/payments``). It reconnects with ``since=<cursor>`` so it misses nothing.
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

BUYABLE = {"ticket.listed", "ticket.unlocked", "ticket.price_changed"}


async def token_for(http: httpx.AsyncClient, email: str, password: str) -> str:
    response = await http.post("/api/users/token", json={"email": email, "password": password})
    response.raise_for_status()
    return str(response.json()["token"])


async def buy(http: httpx.AsyncClient, ticket: dict[str, Any], method: str) -> None:
    price = ticket["price"]
    order = await http.post("/api/orders", json={"ticketId": ticket["id"]})
    if order.status_code != 201:
        print(f"  missed {ticket['title']!r}: {order.json()['errors'][0]['message']}")
        return
    paid = await http.post(
        "/api/payments", json={"orderId": order.json()["id"], "paymentMethodId": method}
    )
    outcome = paid.json().get("status") or paid.json()["errors"][0]["message"]
    amount = f"{price['amount'] / 100:.2f} {price['currency']}"
    print(f"  bought {ticket['title']!r} for {amount}: {outcome}")


async def run(args: argparse.Namespace) -> None:
    async with httpx.AsyncClient(base_url=args.url, timeout=30) as http:
        token = await token_for(http, args.email, args.password)
        auth = {"Authorization": f"Bearer {token}"}
        http.headers.update(auth)
        me = (await http.get("/api/users/currentuser")).json()["currentUser"]
        ws_url = "ws" + args.url.removeprefix("http") + "/api/live"
        cursor: int | None = None
        tried: set[str] = set()

        def wanted(ticket: dict[str, Any] | None) -> bool:
            return (
                ticket is not None
                and ticket["status"] == "available"
                and ticket["sellerId"] != me["id"]
                and ticket["price"]["amount"] <= args.max_price
                and ticket["id"] not in tried
            )

        while True:
            try:
                async with connect(ws_url, additional_headers=auth) as ws:
                    subscribe: dict[str, Any] = {"op": "subscribe", "topics": ["tickets"]}
                    if cursor is not None:
                        subscribe["since"] = cursor
                    await ws.send(json.dumps(subscribe))
                    print(f"watching the market for tickets ≤ {args.max_price / 100:.2f}")
                    async for raw in ws:
                        message = json.loads(raw)
                        cursor = message.get("cursor", cursor)
                        candidates: list[dict[str, Any]] = []
                        if message["type"] == "snapshot":
                            candidates = message.get("tickets") or []
                        elif message["type"] in BUYABLE:
                            candidates = [message["ticket"]]
                        elif message["type"] == "resync":
                            cursor = None  # too far behind: the snapshot that follows has it all
                        for ticket in filter(wanted, candidates):
                            tried.add(ticket["id"])
                            await buy(http, ticket, args.pay)
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
    parser.add_argument("--max-price", type=int, required=True, help="in cents")
    parser.add_argument("--pay", default="pm_card_visa", help="Stripe payment method id")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()

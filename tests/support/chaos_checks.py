"""What must hold once a chaotic run has settled, read from the stores themselves: the
services' MongoDB databases, Redis (locks, streams, consumer groups) and localstripe."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from pymongo import AsyncMongoClient
from redis.asyncio import Redis

from backend.common.keys import RedisKeys
from backend.common.outbox import PENDING
from backend.common.ticket_locks import Holder, HolderKind
from tests.support.chaos_load import OrderSeen
from tests.support.chaos_stack import STRIPE_SECRET_KEY

type Doc = dict[str, Any]

# Who consumes each stream (the registries at the bottom of each service's handlers.py).
EXPECTED_GROUPS = {
    "users": {"tickets", "orders", "live"},
    "tickets": {"orders", "live"},
    "orders": {"tickets", "expiration", "payments", "live"},
    "expiration": {"orders"},
    "payments": {"orders", "tickets", "live"},
}
FINAL = {"complete", "cancelled", "expired"}
OPEN_PAYMENTS = {"processing", "requires_action"}


@dataclass
class Snapshot:
    tickets: list[Doc]
    ticket_replicas: dict[str, Doc]  # the orders service's copies, by ticket id
    orders: list[Doc]
    order_replicas: dict[str, Doc]  # the payments service's copies, by order id
    payments: list[Doc]
    intents: list[Doc]
    refunds: list[Doc]
    locks: dict[str, str | None]  # ticket id -> lock holder
    groups: dict[tuple[str, str], tuple[int, bool]]  # (stream, group) -> (pending, caught up)
    dead_letters: list[dict[str, str]]
    outboxes: dict[str, int]  # collection -> documents with unpublished events
    deadlines: int  # order deadlines still scheduled
    stream_ids: dict[str, str] = field(default_factory=dict)  # stream -> last event id
    taken_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def orders_by_status(self) -> Counter[str]:
        return Counter(str(o["status"]) for o in self.orders)

    def charges(self) -> Counter[str]:
        return Counter(str(i["status"]) for i in self.intents)


async def _stripe_list(http: httpx.AsyncClient, path: str) -> list[Doc]:
    items: list[Doc] = []
    params: dict[str, Any] = {"limit": 100}
    while True:
        response = await http.get(path, params=params)
        response.raise_for_status()
        body = response.json()
        items.extend(body["data"])
        if not body.get("has_more") or not body["data"]:
            return items
        params["starting_after"] = body["data"][-1]["id"]


type Groups = dict[tuple[str, str], tuple[int, bool]]


async def _groups(redis: Redis, keys: RedisKeys) -> tuple[Groups, dict[str, str]]:
    found: Groups = {}
    last_ids: dict[str, str] = {}
    for stream in EXPECTED_GROUPS:
        key = keys.stream(stream)
        if not await redis.exists(key):
            continue
        last = str((await redis.xinfo_stream(key))["last-generated-id"])
        last_ids[stream] = last
        for group in await redis.xinfo_groups(key):
            caught_up = group["last-delivered-id"] == last
            found[stream, str(group["name"])] = (int(group["pending"]), caught_up)
    return found, last_ids


async def take_snapshot(
    mongo: AsyncMongoClient[Doc], redis: Redis, stripe: httpx.AsyncClient, namespace: str
) -> Snapshot:
    keys = RedisKeys(namespace)

    def db(service: str, collection: str) -> Any:
        return mongo[f"{namespace}_{service}"][collection]

    async def all_of(service: str, collection: str) -> list[Doc]:
        return [doc async for doc in db(service, collection).find({})]

    tickets = await all_of("tickets", "tickets")
    outboxes = {}
    for service, collection in [("tickets", "tickets"), ("orders", "orders"),
                                ("payments", "payments")]:  # fmt: skip
        count = await db(service, collection).count_documents(PENDING)
        outboxes[f"{service}.{collection}"] = int(count)
    locks: dict[str, str | None] = {}
    for ticket in tickets:
        value = await redis.get(keys.ticket_lock(str(ticket["_id"]), ticket.get("listing_id")))
        locks[str(ticket["_id"])] = None if value is None else str(value)
    snapshot = Snapshot(
        tickets=tickets,
        ticket_replicas={str(d["_id"]): d for d in await all_of("orders", "ticket_replicas")},
        orders=await all_of("orders", "orders"),
        order_replicas={str(d["_id"]): d for d in await all_of("payments", "order_replicas")},
        payments=await all_of("payments", "payments"),
        intents=await _stripe_list(stripe, "/v1/payment_intents"),
        refunds=await _stripe_list(stripe, "/v1/refunds"),
        locks=locks,
        groups={},
        dead_letters=[fields for _, fields in await redis.xrange(keys.dead_letters())],
        outboxes=outboxes,
        deadlines=int(await redis.zcard(keys.expirations())),
    )
    # Read last: what was read before is at least as recent as what these show handled.
    snapshot.groups, snapshot.stream_ids = await _groups(redis, keys)
    return snapshot


def stripe_client(base_url: str) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {STRIPE_SECRET_KEY}"}
    return httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30)


def unsettled(snap: Snapshot) -> list[str]:
    """Work still in flight: events unpublished, unread or un-acked, orders or payments
    open, deadlines not fired. Empty once the system has come to rest."""
    reasons = [
        f"{n} documents in {c} with events to publish" for c, n in snap.outboxes.items() if n
    ]
    for (stream, group), (pending, caught_up) in sorted(snap.groups.items()):
        if pending:
            reasons.append(f"{pending} un-acked in stream {stream!r}, group {group!r}")
        if not caught_up:
            reasons.append(f"group {group!r} has not read all of stream {stream!r}")
    opened = [str(o["_id"]) for o in snap.orders if o["status"] not in FINAL]
    if opened:
        reasons.append(f"{len(opened)} orders still open: {opened[:5]}")
    paying = [p["order_id"] for p in snap.payments if p["status"] in OPEN_PAYMENTS]
    if paying:
        reasons.append(f"{len(paying)} payments still open (orders {paying[:5]})")
    if snap.deadlines:
        reasons.append(f"{snap.deadlines} order deadlines not fired yet")
    # A seller's edit killed (or cut off from Redis) between taking its hold and ending it
    # leaves the hold to its TTL (EDIT_TTL_MS): in flight, not stuck, until then.
    editing = [t for t, holder in snap.locks.items() if holder and _is_edit(holder)]
    if editing:
        reasons.append(f"{len(editing)} tickets held by an edit: {editing[:5]}")
    return reasons


def _is_edit(holder: str) -> bool:
    return Holder.parse(holder).kind is HolderKind.EDIT


def at_rest(previous: Snapshot | None, current: Snapshot) -> bool:
    """Nothing in flight in two looks in a row, and no event published between them.

    One look is not enough: its reads are not atomic, so an event consumed between the
    read of a replica and the read of the consumer groups looks handled but is not seen.
    With no event published since the previous look, whatever it showed handled had been
    written before this look began.
    """
    return (
        previous is not None
        and not unsettled(previous)
        and not unsettled(current)
        and previous.stream_ids == current.stream_ids
    )


def violations(snap: Snapshot, seen: list[OrderSeen]) -> list[str]:
    """Every broken invariant, one line each (an empty list: all hold)."""
    found: list[str] = []
    found += _event_violations(snap)
    found += _order_violations(snap)
    found += _charge_violations(snap)
    found += _ledger_violations(snap)
    found += _ticket_violations(snap)
    found += _acknowledged_violations(snap, seen)
    return found


def _event_violations(snap: Snapshot) -> list[str]:
    found = [f"dead letter: {entry}" for entry in snap.dead_letters]
    groups_seen: dict[str, set[str]] = defaultdict(set)
    for (stream, group), (pending, caught_up) in sorted(snap.groups.items()):
        groups_seen[stream].add(group)
        if pending:
            found.append(f"stream {stream!r} group {group!r}: {pending} events never acked")
        if not caught_up:
            found.append(f"stream {stream!r} group {group!r}: events never read")
    for stream, groups in EXPECTED_GROUPS.items():
        if groups_seen.get(stream) and groups - groups_seen[stream]:
            found.append(f"stream {stream!r} lacks groups {sorted(groups - groups_seen[stream])}")
    found += [f"{c}: {n} documents never published" for c, n in snap.outboxes.items() if n]
    return found


def _order_violations(snap: Snapshot) -> list[str]:
    found = []
    reasons = {"cancelled": {"buyer", "payment_failed"}, "expired": {"expired"}}
    for order in snap.orders:
        oid, status = str(order["_id"]), str(order["status"])
        if status not in FINAL:
            found.append(f"order {oid} still {status} (deadline {order['expires_at']})")
        elif status in reasons and order.get("cancel_reason") not in reasons[status]:
            found.append(f"order {oid} {status} with reason {order.get('cancel_reason')}")
        replica = snap.order_replicas.get(oid)
        if status in reasons and replica is not None and replica["status"] != status:
            found.append(f"order {oid} is {status} but payments' copy is {replica['status']}")
    complete: dict[str, list[str]] = defaultdict(list)
    for order in snap.orders:
        if order["status"] == "complete":
            for ticket_id in seats_of(order):
                complete[ticket_id].append(str(order["_id"]))
    found += [
        f"ticket {t} has {len(o)} completed orders: {o}" for t, o in complete.items() if len(o) > 1
    ]
    return found


def _charge_violations(snap: Snapshot) -> list[str]:
    found = []
    orders = {str(o["_id"]): o for o in snap.orders}
    refunded = {str(r["payment_intent"]) for r in snap.refunds if r.get("payment_intent")}
    kept: dict[str, list[str]] = defaultdict(list)  # order id -> charges not refunded
    for intent in snap.intents:
        if intent["status"] != "succeeded" or intent["id"] in refunded:
            continue
        order_id = str((intent.get("metadata") or {}).get("orderId"))
        kept[order_id].append(intent["id"])
        order = orders.get(order_id)
        if order is None or order["status"] != "complete":
            state = "unknown" if order is None else order["status"]
            found.append(f"charge {intent['id']} kept for order {order_id} that is {state}")
        elif intent["amount"] != order["price"]["amount"]:
            found.append(f"charge {intent['id']} of {intent['amount']} for order {order_id} "
                         f"priced {order['price']['amount']}")  # fmt: skip
    found += [f"order {o} charged {len(c)} times: {c}" for o, c in kept.items() if len(c) > 1]
    payments = {str(p["order_id"]): p for p in snap.payments}
    for order_id, order in orders.items():
        if order["status"] != "complete":
            continue
        if not kept.get(order_id):
            found.append(f"order {order_id} complete without a kept charge")
        payment = payments.get(order_id)
        if payment is None or payment["status"] != "succeeded":
            state = None if payment is None else payment["status"]
            found.append(f"order {order_id} complete but its payment is {state}")
    for order_id, payment in payments.items():
        order = orders.get(order_id)
        if payment["status"] == "succeeded" and (order is None or order["status"] != "complete"):
            found.append(f"payment of order {order_id} succeeded but the order is not complete")
    return found


def _ledger_violations(snap: Snapshot) -> list[str]:
    """Every ledger entry balances; Stripe's charges and refunds match the ledger's sale
    and refund entries one to one (``backend/payments/ledger.py``)."""
    found = []
    sales: dict[str, int] = {}  # charge (intent) id -> the amount the ledger took in
    refunds: set[str] = set()
    for payment in snap.payments:
        for entry in payment.get("entries", []):
            total = sum(int(line["amount"]) for line in entry["lines"])
            if total != 0:
                found.append(f"ledger entry {entry['id']} does not balance: {total}")
            if entry["kind"] == "sale":
                stripe_lines = [line for line in entry["lines"] if line["account"] == "stripe"]
                sales[str(entry["stripe_id"])] = sum(int(line["amount"]) for line in stripe_lines)
            elif entry["kind"] == "refund":
                refunds.add(str(entry["stripe_id"]))
    charged = {str(i["id"]): int(i["amount"]) for i in snap.intents if i["status"] == "succeeded"}
    if charged != sales:
        only_stripe = sorted(set(charged) - set(sales))
        only_ledger = sorted(set(sales) - set(charged))
        differ = sorted(i for i in set(charged) & set(sales) if charged[i] != sales[i])
        found.append(f"charges and ledger differ: only at Stripe {only_stripe}, only in the "
                     f"ledger {only_ledger}, other amounts {differ}")  # fmt: skip
    at_stripe = {str(r["id"]) for r in snap.refunds}
    if at_stripe != refunds:
        found.append(f"refunds and ledger differ: only at Stripe {sorted(at_stripe - refunds)}, "
                     f"only in the ledger {sorted(refunds - at_stripe)}")  # fmt: skip
    return found


def seats_of(order: Doc) -> list[str]:
    """The tickets an order holds: its seats, or its one ticket."""
    return [str(t) for t in order.get("ticket_ids") or [order["ticket_id"]]]


def _ticket_violations(snap: Snapshot) -> list[str]:
    found = []
    complete = {t: o for o in snap.orders if o["status"] == "complete" for t in seats_of(o)}
    for ticket in snap.tickets:
        tid, status = str(ticket["_id"]), str(ticket["status"])
        replica = snap.ticket_replicas.get(tid)
        if replica is None:
            found.append(f"ticket {tid} v{ticket['version']} unknown to the orders service")
        else:
            mine = (ticket["version"], status, ticket["owner_id"], ticket["price"])
            theirs = (replica["version"], replica["status"], replica["owner_id"], replica["price"])
            if mine != theirs:
                found.append(f"ticket {tid}: tickets has {mine}, orders' copy has {theirs}")
        sale = complete.get(tid)
        lock = snap.locks.get(tid)
        if status == "locked":
            found.append(f"ticket {tid} still locked by order {ticket.get('order_id')}")
        if sale is None and status == "sold":
            found.append(f"ticket {tid} sold without a completed order")
        if sale is not None:
            oid = str(sale["_id"])
            expected = ("sold", oid, sale["buyer_id"], f"sold:{oid}")
            actual = (status, ticket.get("order_id"), ticket["owner_id"], lock)
            if actual != expected:
                found.append(f"ticket {tid} sold by order {oid}: (status, order, owner, lock) "
                             f"is {actual}, expected {expected}")  # fmt: skip
        elif lock is not None:
            found.append(f"ticket {tid} ({status}) still held in Redis by {lock}")
    return found


def _acknowledged_violations(snap: Snapshot, seen: list[OrderSeen]) -> list[str]:
    """What the API told a buyer must have come true."""
    found = []
    orders = {str(o["_id"]): o for o in snap.orders}
    expected = {
        "paid": {"complete"},
        "declined": {"cancelled", "expired"},
        "cancelled": {"cancelled"},
    }
    for s in seen:
        order = orders.get(s.order_id)
        if order is None:
            found.append(f"order {s.order_id} answered 201 but does not exist")
        elif s.acknowledged and order["status"] not in expected[s.acknowledged]:
            found.append(f"order {s.order_id} was {s.acknowledged} for its buyer "
                         f"but is {order['status']}")  # fmt: skip
    return found

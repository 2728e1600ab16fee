"""Seats bought together: one order holds ``quantity`` seats of a listing, all at once.

The seats of a listing (``POST /api/listings``) are tickets whose lock keys share the
listing's hash tag, so one script (``TicketLocks.hold_seats``) picks free seats and locks
them all or none, keeping the listing's split rule (``pairs`` never leaves a single seat
free, ``all`` sells the whole listing). One deadline, one payment, one sale for them all:
every later step of the order (cancel, expiry, payment, sale) acts on all its seats in
one script. The buyer's hold counts each seat against their cap.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime

from beanie import PydanticObjectId

from backend.common.errors import Conflict, NotFound
from backend.common.facts import OrderCreated
from backend.common.holds import HoldPolicy
from backend.common.replicas import caught_up
from backend.common.ticket_locks import SeatRefusal, Seats, SeatsRefused, TicketLocks
from backend.common.unit_of_work import UnitOfWork
from backend.orders.cards import TicketCards
from backend.orders.models import Order, TicketReplica
from backend.orders.service import Budgets, Hold, unless_cancelled
from wire.values import LISTED, Money, PriceBreakdown, SplitRule


def _refusal(refused: SeatsRefused, quantity: int, rule: SplitRule) -> Conflict:
    if refused.why is SeatRefusal.WHOLE_ONLY:
        message = "These seats are sold only all together"
    elif refused.why is SeatRefusal.SINGLE_LEFT:
        message = (
            f"Taking {quantity} of the {refused.free} free seats would leave a single seat; "
            "take one more or one fewer"
        )
    else:
        message = f"Only {refused.free} of these seats are free"
    return Conflict(message, field="quantity" if rule is not SplitRule.ALL else "listingId")


async def create_seats_order(
    *,
    buyer_id: str,
    listing_id: str,
    quantity: int,
    budgets: Budgets,
    cards: TicketCards,
    locks: TicketLocks,
    uow: UnitOfWork,
    ttl_s: float,
    policy: HoldPolicy,
) -> Order:
    """Hold ``quantity`` seats of the listing for the buyer and record the order at their
    committed prices; 404 unknown listing, 409 own seats, too few free, or a split the
    listing's rule forbids."""
    seats = await TicketReplica.find({"listing_id": listing_id}).to_list()
    if not seats or len(seats) < (seats[0].listing_size or 0):
        # Unknown, or not every seat has reached this service yet (a moment after listing).
        await budgets.uncharge_user()
        raise NotFound("Listing not found", field="listingId")
    if any(seat.owner_id == buyer_id for seat in seats):
        await budgets.uncharge_user()
        raise Conflict("You cannot buy your own seats", field="listingId")
    for_sale = [seat for seat in seats if seat.status.value in LISTED]
    if not for_sale:
        await budgets.uncharge_user()
        raise Conflict("These seats are no longer for sale", field="listingId")
    budgets.charge_user()
    for_sale.sort(key=lambda seat: _seat_order(seat.seat))
    rule = for_sale[0].split or SplitRule.ANY
    order_id = str(PydanticObjectId())
    hold = Hold(buyer_id, listing_id, quantity, order_id, field="listingId")
    reservation = await hold.reserve(locks, ttl_s=ttl_s, policy=policy)
    held = await locks.hold_seats(
        listing_id=listing_id,
        for_sale=[seat.id for seat in for_sale],
        quantity=quantity,
        rule=rule.value,
        total=seats[0].listing_size or len(seats),
        order_id=order_id,
        deadline_ms=reservation.deadline_ms,
    )
    if isinstance(held, SeatsRefused):
        await hold.cancel(locks)
        raise _refusal(held, quantity, rule)
    try:
        order = await _record(
            buyer_id, order_id, held, deadline_ms=reservation.deadline_ms, locks=locks, uow=uow
        )
    except BaseException:
        await locks.release_order(held, order_id)
        await hold.cancel(locks)  # no order was made: no cooldown either
        raise
    await unless_cancelled(order, cards=cards, locks=locks, uow=uow)
    return order


def _seat_order(seat: str | None) -> tuple[int, int, str]:
    """Seat 2 before seat 10; numbers before names."""
    text = seat or ""
    return (0, int(text), "") if text.isdigit() else (1, 0, text)


async def _record(
    buyer_id: str,
    order_id: str,
    held: Seats,
    *,
    deadline_ms: int,
    locks: TicketLocks,
    uow: UnitOfWork,
) -> Order:
    """The order of the held seats, priced from their latest committed state (each
    seat's last edit stamped its version before letting go of its lock)."""
    priced = []
    for ticket_id in held.ticket_ids:
        committed = await locks.committed_version(ticket_id, held.listing_id)
        current = await caught_up(
            lambda t=ticket_id: TicketReplica.get(t),  # type: ignore[misc]
            lambda replica, v=committed: replica.version >= v,  # type: ignore[misc]
        )
        if current is None:
            raise Conflict("The price changed; reload and try again", field="listingId")
        if current.status.value not in LISTED or current.owner_id == buyer_id:
            raise Conflict("These seats are no longer for sale", field="listingId")
        priced.append(current)
    first = priced[0]
    breakdown = functools.reduce(PriceBreakdown.plus, (seat.breakdown for seat in priced))
    price = Money(amount=sum(seat.price.amount for seat in priced), currency=first.price.currency)
    expires_at = datetime.fromtimestamp(deadline_ms / 1000, UTC)
    seats = {
        "ticket_id": first.id,
        "ticket_ids": list(held.ticket_ids),
        "listing_id": held.listing_id,
    }
    order = Order(
        id=PydanticObjectId(order_id),
        buyer_id=buyer_id,
        seller_id=first.seller_id,
        price=price,
        breakdown=breakdown,
        expires_at=expires_at,
        ticket_title=first.title,
        event=first.event,
        **seats,
    )
    fact = OrderCreated(
        order_id=order_id,
        version=0,
        buyer_id=buyer_id,
        seller_id=first.seller_id,
        price=price,
        breakdown=breakdown,
        event=first.event,
        title=first.title,
        expires_at=expires_at,
        **seats,
    )
    return await uow.add(order, fact)

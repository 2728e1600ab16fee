"""Use cases of the orders service: buying takes the ticket's lock; nothing else may.

Fair holds: before the lock, the buyer's hold is reserved against their cap and the
ticket's re-hold cooldown (``backend/common/holds.py``); every way an order's hold ends
(cancel here, expiry and payment results in ``handlers.py`` and the payments service)
ends the buyer's hold too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from beanie import PydanticObjectId, SortDirection

from backend.common.errors import Conflict, Forbidden, NotFound, TooManyRequests
from backend.common.facts import OrderCancelled, OrderCreated
from backend.common.holds import HoldPolicy, Refusal, Reservation
from backend.common.ids import object_id
from backend.common.replicas import caught_up
from backend.common.ticket_locks import Holder, HolderKind, TicketLocks
from backend.common.unit_of_work import UnitOfWork
from backend.orders.cards import Locked, Terms, TicketCard, TicketCards
from backend.orders.fairness import FirstLook
from backend.orders.models import Order, TicketReplica
from wire.values import CancelReason, OrderStatus, TicketStatus

_NOT_FOR_SALE = (TicketStatus.SOLD, TicketStatus.VOID)


def refuse(
    reservation: Reservation, policy: HoldPolicy, field: str = "ticketId"
) -> Conflict | TooManyRequests:
    """The answer to a refused reservation: 429 during the cooldown, 409 at the cap (with
    ``Retry-After``: when the buyer's soonest hold runs out at the latest)."""
    wait_s = -(-reservation.wait_ms // 1000)
    if reservation.refusal is Refusal.COOLDOWN:
        return TooManyRequests(
            "Your hold on this ticket ended a moment ago; you can hold it again in "
            f"{wait_s} s, while other buyers get their chance",
            wait_s,
            field=field,
        )
    refusal = Conflict(
        f"You already hold {reservation.held} tickets (at most {policy.cap} at once); "
        "pay for or cancel one first",
        field=field,
    )
    refusal.headers["Retry-After"] = str(max(1, wait_s))
    return refusal


class Budgets(Protocol):
    """The buyer's budget for this attempt, counted in the first look (``fairness.py``)."""

    async def uncharge_user(self) -> None: ...
    def charge_user(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Hold:
    """A buyer's hold on what an order is about to lock (a ticket, or ``seats`` seats of a
    listing: its ``subject``), counted against their cap."""

    buyer_id: str
    subject: str
    seats: int
    order_id: str
    field: str = "ticketId"  # what a refusal names

    async def reserve(self, locks: TicketLocks, *, ttl_s: float, policy: HoldPolicy) -> Reservation:
        """Counted, or refused (``refuse``: 409 at the cap, 429 in the cooldown)."""
        reservation = await locks.holds.reserve(
            buyer_id=self.buyer_id,
            ticket_id=self.subject,
            order_id=self.order_id,
            ttl_ms=int(ttl_s * 1000),
            policy=policy,
            seats=self.seats,
        )
        if reservation.refusal is not None:
            raise refuse(reservation, policy, self.field)
        return reservation

    async def cancel(self, locks: TicketLocks) -> None:
        """Given back: its lock was not won, or no order was made (no cooldown)."""
        await locks.holds.cancel(
            buyer_id=self.buyer_id,
            ticket_id=self.subject,
            order_id=self.order_id,
            seats=self.seats,
        )


def lost(holder: Holder | None) -> Conflict:
    """The answer to a buyer who finds the ticket's lock taken."""
    if holder is not None and holder.kind is HolderKind.SOLD:
        return Conflict("The ticket is already sold", field="ticketId")
    if holder is not None and holder.kind is HolderKind.EDIT:
        return Conflict("The seller is editing this ticket; try again", field="ticketId")
    return Conflict("The ticket is locked by another buyer", field="ticketId")


async def create_order(
    *,
    buyer_id: str,
    ticket_id: str,
    look: FirstLook,
    budgets: Budgets,
    cards: TicketCards,
    locks: TicketLocks,
    uow: UnitOfWork,
    ttl_s: float,
    policy: HoldPolicy,
) -> Order:
    """Decide from the first look (Redis alone) whether the buyer may try; a lost race
    ends there. Otherwise reserve the buyer's hold, take the ticket's lock
    (``SET NX PXAT``) and record the order at the locked price, read with the lock. On a
    single Redis server the first look already reserved and locked (``look.taken``)."""
    card = look.card
    if card is None:  # no card yet: the replica says
        replica = await TicketReplica.get(ticket_id)
        if replica is None:
            await budgets.uncharge_user()
            raise NotFound("Ticket not found", field="ticketId")
        if replica.listing_id is not None:
            await budgets.uncharge_user()
            raise Conflict(
                "This seat is sold with its listing: order it with listingId and quantity",
                field="ticketId",
            )
        card = TicketCard(replica.owner_id, replica.status)
    if card.owner_id == buyer_id:
        await budgets.uncharge_user()
        raise Conflict("You cannot buy your own ticket", field="ticketId")
    sold = look.holder is not None and look.holder.kind is HolderKind.SOLD
    if sold or card.status is TicketStatus.SOLD:
        await budgets.uncharge_user()
        raise Conflict("The ticket is already sold", field="ticketId")
    if card.status is TicketStatus.VOID:
        await budgets.uncharge_user()
        raise Conflict("The ticket's event is cancelled", field="ticketId")
    budgets.charge_user()
    if look.holder is not None:
        raise lost(look.holder)
    # The checks above hold for a buyer whose first look took the hold and the lock
    # (it took them only when they did): nothing between raises for them.
    taken = look.taken
    order_id = PydanticObjectId() if taken is None else PydanticObjectId(taken.order_id)
    hold = Hold(buyer_id, ticket_id, 1, str(order_id))
    reservation, locked = await _hold_and_lock(
        hold, look, cards=cards, locks=locks, ttl_s=ttl_s, policy=policy
    )
    expires_at = datetime.fromtimestamp(reservation.deadline_ms / 1000, UTC)
    if not locked.won:
        await hold.cancel(locks)
        raise lost(locked.holder)
    try:
        terms = await committed_terms(ticket_id, buyer_id, locked)
        fact = OrderCreated(
            order_id=str(order_id),
            version=0,
            ticket_id=ticket_id,
            buyer_id=buyer_id,
            seller_id=terms.seller_id,
            price=terms.price,
            breakdown=terms.breakdown,
            event=terms.event,
            title=terms.title,
            expires_at=expires_at,
        )
        order = Order(
            id=order_id,
            ticket_id=ticket_id,
            buyer_id=buyer_id,
            seller_id=terms.seller_id,
            price=terms.price,
            breakdown=terms.breakdown,
            expires_at=expires_at,
            ticket_title=terms.title,
            event=terms.event,
        )
        await uow.add(order, fact)
    except BaseException:
        await locks.release_order(ticket_id, str(order_id))
        await hold.cancel(locks)  # no order was made: no cooldown either
        raise
    await unless_cancelled(order, cards=cards, locks=locks, uow=uow)
    return order


async def _hold_and_lock(
    hold: Hold,
    look: FirstLook,
    *,
    cards: TicketCards,
    locks: TicketLocks,
    ttl_s: float,
    policy: HoldPolicy,
) -> tuple[Reservation, Locked]:
    """The buyer's hold reserved (or refused: 409 at the cap, 429 in the cooldown) and the
    ticket's lock tried at its deadline: by the first look itself when it could
    (``look.taken``), else now."""
    taken = look.taken
    if taken is None:
        reservation = await hold.reserve(locks, ttl_s=ttl_s, policy=policy)
        deadline_ms = reservation.deadline_ms
        return reservation, await cards.lock_priced(locks, hold.subject, hold.order_id, deadline_ms)
    if taken.locked is None:
        raise refuse(taken.reservation, policy)
    return taken.reservation, taken.locked


async def committed_terms(ticket_id: str, buyer_id: str, locked: Locked) -> Terms:
    """Once the buyer holds the lock, no edit can commit: the order is priced from the
    ticket's latest committed version, which the last edit stamped before letting go of
    the lock. The card read with the lock has it unless it is behind; then the replica,
    once it has caught up."""
    committed, priced = locked.committed, locked.priced
    if priced is not None and priced.version >= committed:
        status, owner_id, terms = priced.card.status, priced.card.owner_id, priced.terms
    else:
        current = await caught_up(
            lambda: TicketReplica.get(ticket_id), lambda replica: replica.version >= committed
        )
        if current is None:
            raise Conflict("The price changed; reload the ticket and try again", field="ticketId")
        status, owner_id = current.status, current.owner_id
        terms = Terms.of(current)
    if status in _NOT_FOR_SALE or owner_id == buyer_id:
        raise Conflict("The ticket is no longer for sale", field="ticketId")
    return terms


async def unless_cancelled(
    order: Order, *, cards: TicketCards, locks: TicketLocks, uow: UnitOfWork
) -> None:
    """An event cancelled while the order was being made: the order ends at once (409).

    The orders service marks a cancelled event's tickets void on their cards before it
    looks for their open orders (``handlers.py``); this looks at the cards after the
    order was recorded: whichever comes second sees the other, so no order of a cancelled
    event is left holding its seats."""
    seats = order.seats
    if not await cards.any_void(seats.ticket_ids, seats.listing_id):
        return
    await locks.release_order(seats, str(order.id))
    await end_hold(order, locks, sold=False)
    await transition(order, OrderStatus.CANCELLED, uow, reason=CancelReason.EVENT_CANCELLED)
    raise Conflict(
        "The ticket's event is cancelled", field="listingId" if seats.listing_id else "ticketId"
    )


async def get_order(order_id: str) -> Order:
    order = await Order.get(object_id(order_id, "Order"))
    if order is None:
        raise NotFound("Order not found")
    return order


async def order_for_buyer(*, order_id: str, user_id: str) -> Order:
    order = await get_order(order_id)
    if order.buyer_id != user_id:
        raise Forbidden("This order is not yours")
    return order


async def orders_of(user_id: str) -> list[Order]:
    return (
        await Order.find(Order.buyer_id == user_id)
        .sort([("created_at", SortDirection.DESCENDING), ("_id", SortDirection.DESCENDING)])
        .to_list()
    )


async def transition(
    order: Order, status: OrderStatus, uow: UnitOfWork, *, reason: CancelReason | None = None
) -> Order | None:
    """Compare-and-set an order's status (and its fact) from ``created``; None if it was
    no longer ``created``, which makes every transition idempotent."""
    if reason is None:
        return await uow.commit(
            order, {"status": status.value}, expect={"status": OrderStatus.CREATED.value}
        )

    def cancelled(new: Order) -> list[OrderCancelled]:
        return [
            OrderCancelled(
                order_id=str(new.id),
                version=new.version,
                ticket_id=new.ticket_id,
                ticket_ids=new.ticket_ids,
                listing_id=new.listing_id,
                buyer_id=new.buyer_id,
                reason=reason,
            )
        ]

    return await uow.commit(
        order,
        {"status": status.value, "cancel_reason": reason.value},
        cancelled,
        expect={"status": OrderStatus.CREATED.value},
    )


async def end_hold(order: Order, locks: TicketLocks, *, sold: bool) -> None:
    """The order no longer holds its ticket: free the buyer's slot (idempotent); without
    a sale the re-hold cooldown starts."""
    seats = order.seats
    await locks.holds.end(
        buyer_id=order.buyer_id,
        ticket_id=seats.subject,
        order_id=str(order.id),
        sold=sold,
        seats=seats.count,
    )


async def cancel_order(
    *, order_id: str, user_id: str, locks: TicketLocks, uow: UnitOfWork
) -> Order:
    """The buyer gives up an unpaid order: the ticket unlocks at once."""
    order = await order_for_buyer(order_id=order_id, user_id=user_id)
    if order.status is not OrderStatus.CREATED:
        raise Conflict(f"The order is {order.status.value} and cannot be cancelled")
    # Take the lock away from the order first: a payment can no longer start after this.
    released = await locks.release_order(order.seats, order_id)
    if not released:
        holder = await locks.holder(order.ticket_id, order.listing_id)
        if holder is not None and holder.ref == order_id and holder.kind is not HolderKind.ORDER:
            raise Conflict("The payment of this order is in progress or done")
    await end_hold(order, locks, sold=False)
    cancelled = await transition(order, OrderStatus.CANCELLED, uow, reason=CancelReason.BUYER)
    if cancelled is None:
        latest = await get_order(order_id)
        raise Conflict(f"The order is {latest.status.value} and cannot be cancelled")
    return cancelled

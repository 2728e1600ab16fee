"""Facts the payments service follows: its copy of the orders it may charge and of users
(their e-mail), cancelled events (to refund), and its own facts that call for a mail."""

from __future__ import annotations

from collections.abc import Callable

from backend.common.bus import RetryLater, Subscriptions, subscribe
from backend.common.facts import (
    ChargeCreated,
    EventUpdated,
    OrderCancelled,
    OrderCreated,
    PaymentRefunded,
    PayoutPaid,
    UserCreated,
    UserUpdated,
)
from backend.common.user_replica import UserReplica, on_user_fact
from backend.payments import refunds
from backend.payments.mail import Mailer
from backend.payments.models import OrderReplica, Payment
from wire.values import CancelReason, EventStatus, OrderStatus


async def _email(user_id: str) -> str:
    user = await UserReplica.get(user_id)
    if user is None or not user.email:
        raise RetryLater(f"user {user_id} not seen yet")
    return user.email


async def _payment(order_id: str) -> Payment:
    payment = await Payment.find_one(Payment.order_id == order_id)
    if payment is None:
        raise RetryLater(f"payment of order {order_id} not found")
    return payment


class PaymentHandlers:
    def __init__(self, mailer: Mailer, wake: Callable[[str], None]) -> None:
        self.mailer = mailer
        self.wake = wake  # a worker by name: "refunds", "mail"

    async def on_order_created(self, fact: OrderCreated) -> None:
        fields = {
            "ticket_id": fact.ticket_id,
            "ticket_ids": fact.ticket_ids,
            "listing_id": fact.listing_id,
            "buyer_id": fact.buyer_id,
            "price": fact.price.model_dump(),
            "breakdown": fact.breakdown.model_dump(),
            "seller_id": fact.seller_id,
            "event": None if fact.event is None else fact.event.model_dump(mode="python"),
            "title": fact.title,
            "status": OrderStatus.CREATED.value,
            "expires_at": fact.expires_at,
            "version": fact.version,
        }
        await OrderReplica.get_pymongo_collection().update_one(
            {"_id": fact.order_id}, {"$setOnInsert": fields}, upsert=True
        )

    async def on_order_cancelled(self, fact: OrderCancelled) -> None:
        status = (
            OrderStatus.EXPIRED if fact.reason is CancelReason.EXPIRED else OrderStatus.CANCELLED
        )
        # Applied when newer; if OrderCreated has not arrived yet, the retry applies it later.
        result = await OrderReplica.get_pymongo_collection().update_one(
            {"_id": fact.order_id, "version": {"$lt": fact.version}},
            {"$set": {"status": status.value, "version": fact.version}},
        )
        if result.matched_count == 0 and await OrderReplica.get(fact.order_id) is None:
            raise RetryLater(f"order {fact.order_id} cancelled before it was seen")

    async def on_event_updated(self, fact: EventUpdated) -> None:
        if fact.status is EventStatus.CANCELLED:
            await refunds.request_for_event(fact.event_id)
            self.wake("refunds")

    async def on_charge_created(self, fact: ChargeCreated) -> None:
        """The buyer's receipt (with the breakdown) and the seller's "your ticket sold"."""
        payment = await _payment(fact.order_id)
        common = {
            "order_id": payment.order_id,
            "title": payment.title or "Your ticket",
            "event": payment.event,
            "breakdown": payment.priced,
            "seats": max(len(payment.ticket_ids), 1),
        }
        await self.mailer.queue(
            f"receipt:{payment.order_id}", await _email(payment.buyer_id), "receipt", **common
        )
        if payment.seller_id:
            await self.mailer.queue(
                f"sold:{payment.order_id}",
                await _email(payment.seller_id),
                "sold",
                due_at=payment.payout_due_at,
                **common,
            )
        self.wake("mail")

    async def on_payment_refunded(self, fact: PaymentRefunded) -> None:
        payment = await _payment(fact.order_id)
        common = {
            "order_id": payment.order_id,
            "title": payment.title or "Your ticket",
            "event": payment.event,
        }
        await self.mailer.queue(
            f"refund:{payment.order_id}",
            await _email(payment.buyer_id),
            "refund",
            amount=payment.amount,
            **common,
        )
        if payment.seller_id:
            await self.mailer.queue(
                f"refund-seller:{payment.order_id}",
                await _email(payment.seller_id),
                "refund_seller",
                proceeds=payment.priced.proceeds,
                paid_out=fact.paid_out,
                **common,
            )
        self.wake("mail")

    async def on_payout_paid(self, fact: PayoutPaid) -> None:
        payment = await _payment(fact.order_id)
        await self.mailer.queue(
            f"payout:{payment.order_id}",
            await _email(fact.seller_id),
            "payout",
            amount=fact.amount,
            transfer_id=fact.transfer_id,
            title=payment.title or "Your ticket",
            event=payment.event,
        )
        self.wake("mail")

    def subscriptions(self) -> Subscriptions:
        """Every subscription of the payments service."""
        return [
            subscribe(OrderCreated, self.on_order_created),
            subscribe(OrderCancelled, self.on_order_cancelled),
            subscribe(UserCreated, on_user_fact),
            subscribe(UserUpdated, on_user_fact),
            subscribe(EventUpdated, self.on_event_updated),
            subscribe(ChargeCreated, self.on_charge_created),
            subscribe(PaymentRefunded, self.on_payment_refunded),
            subscribe(PayoutPaid, self.on_payout_paid),
        ]

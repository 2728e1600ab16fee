"""Refunds of a cancelled event: every paid order refunded in full, fees included.

Cancelling an event (``EventUpdated``, status cancelled) marks each of its paid orders'
payments as to be refunded, in one update; the refunds worker then refunds them one at a
time under the payment's lease: the refund Stripe already made (found by the charge) or
a new one with the idempotency key ``refund-<order>``, recorded with its ledger entry
and ``PaymentRefunded`` in one write. Killed anywhere, it resumes where it stopped and
never refunds twice. Progress is the payments' state (``progress``).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from backend.common.clock import utcnow
from backend.common.facts import Fact, PaymentRefunded
from backend.common.unit_of_work import UnitOfWork
from backend.payments import ledger
from backend.payments.gateway import PaymentGateway
from backend.payments.models import CancelledEvent, Payment
from backend.payments.service import Payments, each_payment
from wire.payments import RefundProgress
from wire.values import Money, PaymentStatus

_TO_REFUND = {
    "status": PaymentStatus.SUCCEEDED.value,
    "refund_requested_at": {"$ne": None},
    "refund_id": None,
}


async def request_for_event(event_id: str) -> int:
    """Mark every paid order of a cancelled event to be refunded (idempotent); how many."""
    await CancelledEvent.get_pymongo_collection().update_one(
        {"_id": event_id}, {"$setOnInsert": {"at": utcnow()}}, upsert=True
    )
    result = await Payment.get_pymongo_collection().update_many(
        {
            "event.id": event_id,
            "status": PaymentStatus.SUCCEEDED.value,
            "refund_requested_at": None,
        },
        {"$set": {"refund_requested_at": utcnow()}},
    )
    return int(result.modified_count)


class Refunds:
    def __init__(self, payments: Payments, gateway: PaymentGateway, uow: UnitOfWork) -> None:
        self.payments = payments
        self.gateway = gateway
        self.uow = uow

    async def run_once(self) -> int:
        """Refund every payment waiting for it; returns how many were refunded."""
        waiting = await Payment.find(_TO_REFUND).sort("refund_requested_at").limit(200).to_list()
        return await each_payment(waiting, self.refund, "refunds")

    async def refund(self, order_id: str) -> bool:
        async with self.payments.lease(order_id) as leased:
            if not leased:
                return False  # a payment request or another worker has it: next round
            payment = await Payment.find_one(Payment.order_id == order_id)
            if payment is None or payment.refund_id is not None:
                return False
            if payment.status is not PaymentStatus.SUCCEEDED or payment.payment_intent_id is None:
                return False
            intent = payment.payment_intent_id
            refund_id = await self.gateway.refund_of(intent)
            if refund_id is None:
                refund_id = await self.gateway.refund(intent, key=f"refund-{order_id}")
            await self._record(payment, refund_id)
            return True

    async def _record(self, payment: Payment, refund_id: str) -> None:
        entry = ledger.refund(payment.order_id, payment.priced, payment.seller_id, refund_id)
        changes: dict[str, Any] = {
            "status": PaymentStatus.REFUNDED.value,
            "refund_id": refund_id,
            "refunded_at": utcnow(),
            "money_error": None,
            "entries": ledger.appended(payment.entries, entry),
        }

        def refunded(new: Payment) -> list[Fact]:
            return [
                PaymentRefunded(
                    order_id=new.order_id,
                    ticket_id=new.ticket_id,
                    ticket_ids=new.ticket_ids,
                    listing_id=new.listing_id,
                    buyer_id=new.buyer_id,
                    seller_id=new.seller_id,
                    refund_id=refund_id,
                    amount=new.amount,
                    paid_out=new.transfer_id is not None,
                    version=new.version,
                )
            ]

        # Under the lease nobody else writes it: the version read above still holds.
        saved = await self.uow.commit(payment, changes, refunded)
        assert saved is not None, f"payment {payment.order_id} changed under its lease"


async def progress(event_id: str) -> RefundProgress:
    """How far the refunds of an event have come."""
    paid = refunded = 0
    amounts: dict[str, int] = defaultdict(int)
    last_error = None
    statuses = [PaymentStatus.SUCCEEDED.value, PaymentStatus.REFUNDED.value]
    async for payment in Payment.find({"event.id": event_id, "status": {"$in": statuses}}):
        paid += 1
        if payment.refund_id is not None:
            refunded += 1
            amounts[payment.amount.currency] += payment.amount.amount
        elif payment.money_error:
            last_error = payment.money_error
    return RefundProgress(
        event_id=event_id,
        cancelled=await CancelledEvent.get(event_id) is not None,
        paid_orders=paid,
        refunded=refunded,
        pending=paid - refunded,
        refunded_amount=[Money(amount=a, currency=c) for c, a in sorted(amounts.items())],
        last_error=last_error,
    )

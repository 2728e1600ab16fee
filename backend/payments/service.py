"""Use cases of the payments service.

A payment first converts the order's lock into a paying hold (so the deadline cannot free
the ticket mid-charge); without the hold no charge is attempted. One ``Payment`` per order
(unique index) makes a retried request never charge twice. The PaymentIntent is created,
its id saved, then confirmed: a crash at any point leaves a record the reconciler settles
from Stripe.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import stripe
import structlog
from pymongo.errors import DuplicateKeyError

from backend.common.clock import utcnow
from backend.common.errors import (
    AppError,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PaymentFailed,
)
from backend.common.facts import ChargeCreated, ChargeFailed, Fact
from backend.common.ids import object_id_or_none
from backend.common.keys import RedisKeys
from backend.common.replicas import caught_up
from backend.common.ticket_locks import TicketLocks
from backend.common.unit_of_work import FactsOf, UnitOfWork
from backend.payments import ledger
from backend.payments.gateway import IntentResult, IntentState, PaymentGateway
from backend.payments.models import CancelledEvent, OrderReplica, Payment
from wire.values import OrderStatus, PaymentStatus

log = structlog.get_logger(__name__)

OPEN = (PaymentStatus.PROCESSING, PaymentStatus.REQUIRES_ACTION)


class ProviderUnavailable(AppError):
    status_code = 502


async def _order(order_id: str) -> OrderReplica:
    """The order, waiting briefly for an OrderCreated that is still on its way."""
    # a malformed id: no such order can be on its way, answer at once
    order = (
        await caught_up(lambda: OrderReplica.get(order_id)) if object_id_or_none(order_id) else None
    )
    if order is None:
        raise NotFound("Order not found", field="orderId")
    return order


async def payment_for(*, order_id: str, user_id: str) -> Payment:
    payment = await Payment.find_one(Payment.order_id == order_id)
    if payment is None:
        raise NotFound("No payment for this order", field="orderId")
    if payment.buyer_id != user_id:
        raise Forbidden("This payment is not yours")
    return payment


async def each_payment(
    payments: list[Payment], step: Callable[[str], Awaitable[bool]], what: str
) -> int:
    """Run a money worker's ``step`` (a refund, a payout) on each payment; how many did
    something. A Stripe failure is logged and kept on the payment for the operator
    (``money_error``); the next round tries again."""
    done = 0
    for payment in payments:
        try:
            done += await step(payment.order_id)
        except stripe.StripeError as exc:
            log.warning(f"{what}.failed", order_id=payment.order_id, error=str(exc))
            await Payment.get_pymongo_collection().update_one(
                {"_id": payment.id}, {"$set": {"money_error": str(exc)[:500]}}
            )
    return done


class Payments:
    def __init__(
        self,
        *,
        gateway: PaymentGateway,
        locks: TicketLocks,
        uow: UnitOfWork,
        keys: RedisKeys,
        hold_s: float,
        lease_s: float,
        payout_delay: timedelta = timedelta(days=5),
    ) -> None:
        self.gateway = gateway
        self.locks = locks
        self.uow = uow
        self.keys = keys
        self.hold_ms = int(hold_s * 1000)
        self.lease_ms = int(lease_s * 1000)  # PAYMENT_LEASE_SECONDS
        self.payout_delay = payout_delay  # PAYOUT_DELAY_DAYS

    @asynccontextmanager
    async def lease(self, order_id: str) -> AsyncIterator[bool]:
        """At most one request (or the reconciler) works on an order's payment at a time."""
        key, token = self.keys.payment_lease(order_id), uuid.uuid4().hex
        leased = await self.locks.locks.acquire(key, token, self.lease_ms)
        try:
            yield leased
        finally:
            if leased:
                await self.locks.locks.release(key, token)

    async def _save(
        self, payment: Payment, changes: dict[str, Any], facts: FactsOf[Payment] | None = None
    ) -> Payment:
        """The payment's new state and its facts in one write. Only the holder of the
        order's payment lease writes a payment, so no other guard is needed."""
        saved = await self.uow.commit(payment, changes, facts, expect={})
        assert saved is not None, f"payment {payment.id} vanished"
        return saved

    async def pay(self, *, user_id: str, order_id: str, payment_method_id: str) -> Payment:
        order = await _order(order_id)
        if order.buyer_id != user_id:
            raise Forbidden("This order is not yours", field="orderId")
        async with self.lease(order_id) as leased:
            if not leased:
                raise Conflict("A payment for this order is in progress", field="orderId")
            existing = await Payment.find_one(Payment.order_id == order_id)
            if existing is not None:
                return await self._resume(existing)
            return await self._charge(order, payment_method_id)

    async def refresh(self, payment: Payment) -> Payment:
        """The payment brought up to date with Stripe, unless a request is working on it."""
        async with self.lease(payment.order_id) as leased:
            return await self.reconcile(payment) if leased else payment

    async def _charge(self, order: OrderReplica, payment_method_id: str) -> Payment:
        order_id = order.id
        if order.status is not OrderStatus.CREATED:
            raise Conflict(f"The order is {order.status.value} and cannot be paid", field="orderId")
        # Recorded before the hold is taken: a crash anywhere after leaves a record the
        # reconciler settles. (A hold without one would outlive the order's deadline, and
        # the order would stay unpaid and open for ever.)
        payment = Payment(
            order_id=order_id,
            ticket_id=order.ticket_id,
            ticket_ids=order.ticket_ids,
            listing_id=order.listing_id,
            buyer_id=order.buyer_id,
            amount=order.price,
            payment_method_id=payment_method_id,
            breakdown=order.breakdown,
            seller_id=order.seller_id,
            title=order.title,
            event=order.event,
        )
        try:
            await self.uow.add(payment)
        except DuplicateKeyError:
            raise Conflict("A payment for this order is already in progress") from None
        paying = self.locks.start_paying(
            order.seats, order_id, self.hold_ms, buyer_id=order.buyer_id
        )
        if not await paying:
            await payment.delete()
            raise Conflict(
                "The order expired: the ticket is no longer held for you", field="orderId"
            )
        try:
            intent_id = await self.gateway.create_intent(
                order_id=order_id, amount=order.price, payment_method_id=payment_method_id
            )
        except stripe.InvalidRequestError as exc:
            # A payment method Stripe does not know: nothing was charged; the buyer may
            # try another one while the order's time lasts.
            await self._abandon(payment, order)
            message = exc.user_message or "This payment method cannot be used"
            raise BadRequest(message, field="paymentMethodId") from None
        except stripe.StripeError:
            log.exception("payments.create_failed", order_id=order_id)
            raise ProviderUnavailable("The card processor is unavailable; retry shortly") from None
        payment = await self._save(payment, {"payment_intent_id": intent_id})
        return await self._settle(payment, await self._confirm(intent_id))

    async def _confirm(self, intent_id: str) -> IntentResult:
        try:
            return await self.gateway.confirm(intent_id)
        except stripe.StripeError:
            # The answer was lost, not necessarily the charge: ask Stripe what happened.
            log.exception("payments.confirm_failed", intent_id=intent_id)
        try:
            result = await self.gateway.retrieve(intent_id)
        except stripe.StripeError:
            result = None
        if result is None or result.state is IntentState.UNCONFIRMED:
            # Left open: the next request or the reconciler settles it.
            raise ProviderUnavailable("The card processor is unavailable; retry shortly")
        return result

    async def _abandon(self, payment: Payment, order: OrderReplica) -> None:
        """Forget a payment that never reached Stripe and give the order its lock back."""
        left_ms = int((order.expires_at - datetime.now(UTC)).total_seconds() * 1000)
        if left_ms > 0 and await self.locks.resume_order(payment.seats, order.id, left_ms):
            await payment.delete()
        else:  # its time ran out meanwhile: the order ends
            await self._fail(payment, "The order expired during the payment")

    async def _resume(self, payment: Payment) -> Payment:
        """A repeated request: never a second charge; finish what is open."""
        if payment.status in OPEN:
            payment = await self.reconcile(payment)
        if payment.status is PaymentStatus.SUCCEEDED:
            raise Conflict("This order is already paid", field="orderId")
        if payment.status in (PaymentStatus.FAILED, PaymentStatus.REFUNDED):
            raise Conflict("The payment of this order failed; the order was cancelled")
        return payment

    async def reconcile(self, payment: Payment) -> Payment:
        """Bring an open payment up to date with Stripe."""
        if payment.status not in OPEN:
            return payment
        if payment.payment_intent_id is None:
            # Never confirmed (we crashed around creating the intent): nothing was charged.
            age = datetime.now(UTC) - payment.created_at
            if age > timedelta(seconds=30):
                return await self._fail(payment, "The payment was interrupted; nothing was charged")
            return payment
        result = await self.gateway.retrieve(payment.payment_intent_id)
        if result.state is IntentState.UNCONFIRMED:
            # Created but never confirmed (we crashed in between): confirm now.
            result = await self.gateway.confirm(payment.payment_intent_id)
        return await self._settle(payment, result)

    async def _settle(self, payment: Payment, result: IntentResult) -> Payment:
        if result.state is IntentState.SUCCEEDED:
            return await self._succeed(payment, result)
        if result.state is IntentState.REQUIRES_ACTION:
            return await self._save(
                payment,
                {
                    "status": PaymentStatus.REQUIRES_ACTION.value,
                    "client_secret": result.client_secret,
                },
            )
        if result.state in (IntentState.DECLINED, IntentState.CANCELED):
            failed = await self._fail(payment, result.message or "Your card was declined.")
            raise PaymentFailed(failed.failure_message or "Your card was declined.")
        return payment  # still processing: the reconciler will come back

    async def _succeed(self, payment: Payment, result: IntentResult) -> Payment:
        if not await self.locks.mark_sold(payment.seats, payment.order_id):
            # The hold was lost (it must not be): never keep money without a sale.
            log.error("payments.hold_lost_refunding", order_id=payment.order_id)
            refund_id = await self.gateway.refund(result.id, key=f"refund-{payment.order_id}")
            # Charged and given back: both in the ledger, as at Stripe.
            args = (payment.order_id, payment.priced, payment.seller_id)
            entries = [ledger.sale(*args, result.id), ledger.refund(*args, refund_id)]
            return await self._fail(
                payment,
                "The ticket could not be held; you were refunded",
                PaymentStatus.REFUNDED,
                refunded={
                    "refund_id": refund_id,
                    "refunded_at": utcnow(),
                    "entries": ledger.appended(payment.entries, *entries),
                },
            )
        await self._end_hold(payment, sold=True)

        def charged(new: Payment) -> list[Fact]:
            return [
                ChargeCreated(
                    order_id=new.order_id,
                    ticket_id=new.ticket_id,
                    ticket_ids=new.ticket_ids,
                    listing_id=new.listing_id,
                    buyer_id=new.buyer_id,
                    payment_intent_id=result.id,
                    amount=new.amount,
                    version=new.version,
                )
            ]

        changes: dict[str, Any] = {
            "status": PaymentStatus.SUCCEEDED.value,
            "client_secret": None,
            "entries": ledger.appended(
                payment.entries,
                ledger.sale(payment.order_id, payment.priced, payment.seller_id, result.id),
            ),
        }
        if payment.event is not None:
            changes["payout_due_at"] = payment.event.starts_at + self.payout_delay
            if await CancelledEvent.get(payment.event.id or "") is not None:
                # Its event was cancelled while the buyer paid: refunded like the others.
                changes["refund_requested_at"] = utcnow()
        return await self._save(payment, changes, charged)

    async def _fail(
        self,
        payment: Payment,
        message: str,
        status: PaymentStatus = PaymentStatus.FAILED,
        refunded: dict[str, Any] | None = None,
    ) -> Payment:
        """Declined: the order is cancelled (by the orders service) and the ticket unlocked."""
        await self.locks.release_paying(payment.seats, payment.order_id)
        await self._end_hold(payment, sold=False)

        def failed(new: Payment) -> list[Fact]:
            return [
                ChargeFailed(
                    order_id=new.order_id,
                    ticket_id=new.ticket_id,
                    ticket_ids=new.ticket_ids,
                    listing_id=new.listing_id,
                    buyer_id=new.buyer_id,
                    message=message,
                    version=new.version,
                )
            ]

        return await self._save(
            payment,
            {
                "status": status.value,
                "failure_message": message,
                "client_secret": None,
                **(refunded or {}),
            },
            failed,
        )

    async def _end_hold(self, payment: Payment, *, sold: bool) -> None:
        """The buyer's hold ends with the lock (fair holds: their slot is free again at
        once; without a sale the re-hold cooldown starts). Idempotent."""
        seats = payment.seats
        await self.locks.holds.end(
            buyer_id=payment.buyer_id,
            ticket_id=seats.subject,
            order_id=payment.order_id,
            sold=sold,
            seats=seats.count,
        )

    async def reconcile_open(self, *, older_than_s: float) -> int:
        """Settle payments left open (a crash, an abandoned 3-D Secure); returns how many."""
        cutoff = datetime.now(UTC) - timedelta(seconds=older_than_s)
        settled = 0
        open_payments = Payment.find(
            {"status": {"$in": [s.value for s in OPEN]}, "updated_at": {"$lt": cutoff}}
        )
        async for payment in open_payments:
            try:
                after = await self.refresh(payment)
                if (
                    after.status is PaymentStatus.REQUIRES_ACTION
                    and after.created_at < datetime.now(UTC) - timedelta(milliseconds=self.hold_ms)
                    and after.payment_intent_id
                ):
                    await self.gateway.cancel(after.payment_intent_id)
                    after = await self._fail(after, "3-D Secure was not completed in time")
            except PaymentFailed:
                pass
            except stripe.StripeError:
                log.exception("payments.reconcile_failed", order_id=payment.order_id)
                continue
            settled += 1
        return settled

    async def run_reconciler(self, *, every_s: float = 15.0) -> None:
        while True:
            try:
                await self.reconcile_open(older_than_s=every_s)
            except Exception:  # a failed round (Redis, MongoDB down) must not end them all
                log.exception("payments.reconcile_round_failed")
            await asyncio.sleep(every_s)

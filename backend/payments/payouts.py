"""Seller payouts: a sale's proceeds, ``PAYOUT_DELAY_DAYS`` after its event, transferred
to the seller's Stripe Connect account.

A sale becomes payable when its time has come (the worker's clock, injected), it was not
refunded, and its seller has finished onboarding. Each payout is made under the
payment's lease: the transfer already made for the sale (found by its transfer group) or
a new one with the idempotency key ``payout-<order>``, then recorded with its ledger
entry and ``PayoutPaid`` in one write. A worker killed between the transfer and its
record finds the transfer on its next round: never paid twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from backend.common.clock import utcnow
from backend.common.facts import Fact, PayoutPaid
from backend.common.unit_of_work import UnitOfWork
from backend.payments import ledger
from backend.payments.connect import ConnectGateway
from backend.payments.models import Payment, PayoutAccount
from backend.payments.sales import payout_state, refresh_account
from backend.payments.service import Payments, each_payment
from wire.payments import PayoutState
from wire.values import PaymentStatus

type Clock = Callable[[], datetime]


class Payouts:
    def __init__(
        self,
        payments: Payments,
        connect: ConnectGateway,
        uow: UnitOfWork,
        clock: Clock = utcnow,
    ) -> None:
        self.payments = payments
        self.connect = connect
        self.uow = uow
        self.clock = clock

    async def run_once(self) -> int:
        """Pay every sale whose time has come; returns how many were paid."""
        due = (
            await Payment.find(
                {
                    "status": PaymentStatus.SUCCEEDED.value,
                    "transfer_id": None,
                    "refund_requested_at": None,
                    "payout_due_at": {"$lte": self.clock()},
                }
            )
            .sort("payout_due_at")
            .limit(200)
            .to_list()
        )
        return await each_payment(due, self.pay, "payouts")

    async def account_of(self, seller_id: str) -> PayoutAccount | None:
        """The seller's account if it can receive transfers (refreshed from Stripe while
        onboarding is unfinished), or None."""
        account = await refresh_account(seller_id, self.connect)
        return account if account is not None and account.payouts_enabled else None

    async def pay(self, order_id: str) -> bool:
        async with self.payments.lease(order_id) as leased:
            if not leased:
                return False
            payment = await Payment.find_one(Payment.order_id == order_id)
            if payment is None or payout_state(payment, self.clock()) is not PayoutState.AVAILABLE:
                return False  # paid, refunded or not due (meanwhile)
            if payment.status is not PaymentStatus.SUCCEEDED:
                return False
            account = await self.account_of(payment.seller_id)
            if account is None:
                return False  # waits for the seller's onboarding
            group = f"order-{order_id}"
            transfer_id = await self.connect.transfer_of(group)
            if transfer_id is None:
                transfer_id = await self.connect.transfer(
                    amount=payment.priced.proceeds,
                    destination=account.account_id,
                    group=group,
                    key=f"payout-{order_id}",
                )
            await self._record(payment, transfer_id)
            return True

    async def _record(self, payment: Payment, transfer_id: str) -> None:
        entry = ledger.payout(payment.order_id, payment.priced, payment.seller_id, transfer_id)
        changes: dict[str, Any] = {
            "transfer_id": transfer_id,
            "paid_out_at": self.clock(),
            "money_error": None,
            "entries": ledger.appended(payment.entries, entry),
        }

        def paid(new: Payment) -> list[Fact]:
            return [
                PayoutPaid(
                    order_id=new.order_id,
                    seller_id=new.seller_id,
                    transfer_id=transfer_id,
                    amount=new.priced.proceeds,
                    version=new.version,
                )
            ]

        saved = await self.uow.commit(payment, changes, paid)
        assert saved is not None, f"payment {payment.order_id} changed under its lease"

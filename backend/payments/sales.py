"""What a seller sees of their money: each sale's proceeds and payout state, totals, and
their payout account (Stripe Connect Express, onboarded on Stripe's pages)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from backend.payments.connect import ConnectGateway
from backend.payments.models import Payment, PayoutAccount
from wire.payments import (
    OnboardingLink,
    PayoutAccountPublic,
    PayoutState,
    SalePublic,
    SalesList,
    SalesTotals,
)
from wire.values import PaymentStatus

_SOLD = [PaymentStatus.SUCCEEDED.value, PaymentStatus.REFUNDED.value]


def payout_state(payment: Payment, now: datetime) -> PayoutState:
    """Where a sale's proceeds are (``wire.payments.PayoutState``)."""
    if payment.refund_id is not None or payment.refund_requested_at is not None:
        return PayoutState.OWED if payment.transfer_id is not None else PayoutState.REVERSED
    if payment.transfer_id is not None:
        return PayoutState.PAID
    if payment.payout_due_at is not None and payment.payout_due_at <= now:
        return PayoutState.AVAILABLE
    return PayoutState.PENDING


async def sales_of(seller_id: str, now: datetime) -> SalesList:
    payments = (
        await Payment.find({"seller_id": seller_id, "status": {"$in": _SOLD}})
        .sort("-created_at")
        .to_list()
    )
    items, totals = [], defaultdict[str, dict[PayoutState, int]](lambda: defaultdict(int))
    for payment in payments:
        state = payout_state(payment, now)
        proceeds = payment.priced.proceeds
        totals[proceeds.currency][state] += proceeds.amount
        items.append(
            SalePublic(
                order_id=payment.order_id,
                ticket_ids=payment.ticket_ids or [payment.ticket_id],
                title=payment.title,
                event=payment.event,
                sold_at=payment.updated_at if payment.entries else payment.created_at,
                breakdown=payment.priced,
                payout=state,
                payout_due_at=payment.payout_due_at,
                paid_out_at=payment.paid_out_at,
                refunded_at=payment.refunded_at,
            )
        )
    return SalesList(
        items=items,
        totals=[
            SalesTotals(
                currency=currency,
                pending=by_state[PayoutState.PENDING],
                available=by_state[PayoutState.AVAILABLE],
                paid=by_state[PayoutState.PAID],
                owed=by_state[PayoutState.OWED],
            )
            for currency, by_state in sorted(totals.items())
        ],
        payout_account=present_account(await PayoutAccount.get(seller_id)),
    )


def present_account(account: PayoutAccount | None) -> PayoutAccountPublic:
    if account is None:
        return PayoutAccountPublic(connected=False, payouts_enabled=False)
    return PayoutAccountPublic(
        connected=True, payouts_enabled=account.payouts_enabled, account_id=account.account_id
    )


async def refresh_account(seller_id: str, connect: ConnectGateway) -> PayoutAccount | None:
    """The seller's account as Stripe has it now (onboarding may have finished since)."""
    account = await PayoutAccount.get(seller_id)
    if account is None or account.payouts_enabled:
        return account
    if (await connect.account(account.account_id)).payouts_enabled:
        await PayoutAccount.get_pymongo_collection().update_one(
            {"_id": seller_id}, {"$set": {"payouts_enabled": True}}
        )
        account.payouts_enabled = True
    return account


async def onboarding(seller_id: str, connect: ConnectGateway, public_url: str) -> OnboardingLink:
    """A link to Stripe's onboarding of the seller's account (made on first use)."""
    account = await PayoutAccount.get(seller_id)
    if account is None:
        state = await connect.create_account(user_id=seller_id)
        await PayoutAccount.get_pymongo_collection().update_one(
            {"_id": seller_id},
            {"$setOnInsert": {"account_id": state.id, "payouts_enabled": state.payouts_enabled}},
            upsert=True,
        )
        account = await PayoutAccount.get(seller_id)
        assert account is not None
    base = public_url.rstrip("/")
    url, expires_at = await connect.onboarding_link(
        account.account_id,
        return_url=f"{base}/sales/payouts?onboarding=done",
        refresh_url=f"{base}/sales/payouts?onboarding=again",
    )
    return OnboardingLink(url=url, expires_at=expires_at)

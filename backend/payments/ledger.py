"""The ledger: every money movement of a sale as a balanced double-entry record.

Each entry is kept on the sale's ``Payment`` and written by the same single-document,
version-guarded write as the state change it records (the charge, the refund, the
payout), with the facts that tell of it (outbox): one cannot happen without the other,
and a redelivered or repeated step finds the state already changed and writes nothing.

Amounts are integer cents, debits positive and credits negative; an entry's lines sum
to zero. The accounts:

- ``stripe``: the marketplace's balance at Stripe (an asset);
- ``seller:<id>``: what the marketplace owes a seller (a liability: credited by a sale,
  debited by its payout; a refund after the payout leaves it in debit: the seller owes);
- ``fees:buyer`` and ``fees:seller``: the marketplace's revenue.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, model_validator

from backend.common.clock import utcnow
from wire.values import PriceBreakdown

STRIPE = "stripe"
BUYER_FEES = "fees:buyer"
SELLER_FEES = "fees:seller"


def seller_account(seller_id: str) -> str:
    return f"seller:{seller_id}"


class EntryKind(StrEnum):
    SALE = "sale"  # the buyer's card was charged: proceeds owed to the seller, fees earned
    REFUND = "refund"  # the sale undone in full, fees included
    PAYOUT = "payout"  # the proceeds transferred to the seller's Connect account


class Line(BaseModel):
    account: str
    amount: int  # cents: a debit positive, a credit negative


class LedgerEntry(BaseModel):
    """One movement; ``id`` is ``<kind>:<order id>`` (each happens once per sale) and
    ``stripe_id`` the Stripe object it matches one to one (charge, refund, transfer)."""

    id: str
    kind: EntryKind
    currency: str
    stripe_id: str
    lines: list[Line]
    at: datetime = Field(default_factory=utcnow)

    @model_validator(mode="after")
    def _balanced(self) -> LedgerEntry:
        if sum(line.amount for line in self.lines) != 0:
            raise ValueError(f"ledger entry {self.id} does not balance: {self.lines}")
        return self


def _sale_lines(breakdown: PriceBreakdown, seller_id: str) -> list[Line]:
    return [
        Line(account=STRIPE, amount=breakdown.total.amount),
        Line(account=seller_account(seller_id), amount=-breakdown.proceeds.amount),
        Line(account=BUYER_FEES, amount=-breakdown.buyer_fee.amount),
        Line(account=SELLER_FEES, amount=-breakdown.seller_fee.amount),
    ]


def sale(order_id: str, breakdown: PriceBreakdown, seller_id: str, charge_id: str) -> LedgerEntry:
    return LedgerEntry(
        id=f"{EntryKind.SALE}:{order_id}",
        kind=EntryKind.SALE,
        currency=breakdown.total.currency,
        stripe_id=charge_id,
        lines=_sale_lines(breakdown, seller_id),
    )


def refund(order_id: str, breakdown: PriceBreakdown, seller_id: str, refund_id: str) -> LedgerEntry:
    """The sale reversed line by line: the buyer gets everything back, fees included."""
    lines = [
        Line(account=line.account, amount=-line.amount)
        for line in _sale_lines(breakdown, seller_id)
    ]
    return LedgerEntry(
        id=f"{EntryKind.REFUND}:{order_id}",
        kind=EntryKind.REFUND,
        currency=breakdown.total.currency,
        stripe_id=refund_id,
        lines=lines,
    )


def payout(
    order_id: str, breakdown: PriceBreakdown, seller_id: str, transfer_id: str
) -> LedgerEntry:
    amount = breakdown.proceeds.amount
    return LedgerEntry(
        id=f"{EntryKind.PAYOUT}:{order_id}",
        kind=EntryKind.PAYOUT,
        currency=breakdown.total.currency,
        stripe_id=transfer_id,
        lines=[
            Line(account=seller_account(seller_id), amount=amount),
            Line(account=STRIPE, amount=-amount),
        ],
    )


def appended(entries: list[LedgerEntry], *new: LedgerEntry) -> list[dict[str, Any]]:
    """A payment's entries with ``new`` after them, as its write stores them."""
    return [entry.model_dump() for entry in (*entries, *new)]


def balances(entries: list[LedgerEntry]) -> dict[str, int]:
    """Each account's balance over ``entries`` (cents, debit positive)."""
    totals: dict[str, int] = {}
    for entry in entries:
        for line in entry.lines:
            totals[line.account] = totals.get(line.account, 0) + line.amount
    return totals

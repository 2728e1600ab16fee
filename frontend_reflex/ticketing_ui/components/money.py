"""How money is told: what a price is made of, what a list price comes to for the
seller as they type it, and where a sale's payout is."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ticketing_ui.state.fees import FeeQuoteState


def price_breakdown(
    list_price: Any, fee: Any, total: Any, *, tickets: Any = "Ticket price"
) -> rx.Component:
    """``Ticket price $50.00 · Service fee $6.50 · Total $56.50``."""
    return rx.text(
        tickets, " ", rx.el.span(list_price, data_testid="breakdown-list-price"),
        " · Service fee ", rx.el.span(fee, data_testid="breakdown-fee"),
        " · Total ", rx.text.strong(total, data_testid="breakdown-total"),
        color_scheme="gray",
        size="2",
        data_testid="price-breakdown",
    )  # fmt: skip


def fee_quote() -> rx.Component:
    """Under a list price being typed: what buyers pay and what the seller receives, or
    why that price can't be (the API's reason)."""
    return rx.cond(
        FeeQuoteState.error != "",
        rx.text(FeeQuoteState.error, color_scheme="red", size="2", role="alert",
                data_testid="fee-quote-error"),
        rx.cond(
            FeeQuoteState.buyers_pay != "",
            rx.text("Buyers pay ", rx.text.strong(FeeQuoteState.buyers_pay),
                    " · You receive ", rx.text.strong(FeeQuoteState.you_receive),
                    color_scheme="gray", size="2", data_testid="fee-quote"),
        ),
    )  # fmt: skip


PAYOUT_COLORS = {
    "pending": "amber",
    "available": "blue",
    "paid": "green",
    "reversed": "gray",
    "owed": "red",
}


def payout_badge(sale: Any) -> rx.Component:  # a SaleView Var
    return rx.match(
        sale.payout,
        *[
            (state, rx.badge(sale.payout_label, color_scheme=color, size="2",
                             data_testid="payout", custom_attrs={"data-payout": state}))
            for state, color in PAYOUT_COLORS.items()
        ],
        rx.badge(sale.payout_label, size="2", data_testid="payout"),
    )  # fmt: skip

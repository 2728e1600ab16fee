"""``/sales``: what my sales bring me and where each payout is; ``/sales/payouts``: back
from connecting the payout account."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ticketing_ui.components.layout import (
    error_text,
    form_error,
    loading_or,
    page,
    spinner_button,
    split_row,
)
from ticketing_ui.components.money import payout_badge
from ticketing_ui.components.widgets import local_time
from ticketing_ui.state.sales import PayoutAccountState, PayoutsReturnState, SalesState

R = PayoutsReturnState


def connect_button(state: type[PayoutAccountState]) -> rx.Component:
    """Starts (or resumes) the payout account's onboarding on Stripe's pages."""

    def button(text: str) -> rx.Component:
        return spinner_button(
            text, state.connecting, on_click=state.connect_payouts, data_testid="connect-payouts"
        )

    return rx.vstack(
        rx.cond(
            state.account == "unfinished",
            button("Finish onboarding"),
            button("Connect payout account"),
        ),
        error_text(state.connect_error, data_testid="connect-error"),
        spacing="1",
    )


def payout_account() -> rx.Component:
    return rx.card(
        split_row(
            rx.vstack(
                rx.heading("Payout account", size="4"),
                rx.match(
                    SalesState.account,
                    ("ready", rx.text("Connected: your proceeds are paid out to it.",
                                      data_testid="account-state")),
                    ("unfinished", rx.text("Onboarding isn't finished: nothing can be paid "
                                           "out yet.", data_testid="account-state")),
                    rx.text("Connect an account to be paid what your sales bring.",
                            data_testid="account-state"),
                ),
                spacing="1",
            ),
            rx.cond(SalesState.account != "ready", connect_button(SalesState)),
        ),
        width="100%",
        data_testid="payout-account",
        custom_attrs={"data-account": SalesState.account},
    )  # fmt: skip


def total(label: str, amount: Any, name: str) -> rx.Component:
    return rx.card(
        rx.text(label, color_scheme="gray", size="2"),
        rx.text(amount, size="6", weight="bold", data_testid=f"total-{name}"),
    )


def totals_row(totals: Any) -> rx.Component:  # a TotalsView Var
    return rx.grid(
        total("Pending", totals.pending, "pending"),
        total("Available", totals.available, "available"),
        total("Paid", totals.paid, "paid"),
        total("Owed back", totals.owed, "owed"),
        columns=rx.breakpoints(initial="2", md="4"),
        spacing="3",
        width="100%",
        data_testid="totals",
        custom_attrs={"data-currency": totals.currency},
    )


def sale_row(sale: Any) -> rx.Component:  # a SaleView Var
    return rx.card(
        split_row(
            rx.vstack(
                rx.hstack(
                    rx.text(sale.title, weight="bold", data_testid="sale-title"),
                    rx.cond(sale.seats_label != "",
                            rx.badge(sale.seats_label, variant="soft", data_testid="sale-seats")),
                    align="center",
                ),
                rx.text(sale.event_name, color_scheme="gray", size="2", data_testid="sale-event"),
                rx.text("Sold ", local_time(sale.sold_at, sale.sold_label), color_scheme="gray",
                        size="2"),
                spacing="1",
                align="start",
            ),
            rx.hstack(
                rx.vstack(
                    rx.text("List price ", rx.text.span(sale.list_price_label,
                                                        data_testid="sale-list-price"),
                            size="2", color_scheme="gray"),
                    rx.text("Seller fee ", rx.text.span(sale.seller_fee_label,
                                                         data_testid="sale-seller-fee"),
                            size="2", color_scheme="gray"),
                    rx.text("You receive ", rx.text.strong(sale.proceeds_label,
                                                           data_testid="sale-proceeds")),
                    spacing="0",
                    align="end",
                ),
                payout_badge(sale),
                align="center",
                spacing="4",
                wrap="wrap",
            ),
        ),
        width="100%",
        data_testid="sale-row",
        custom_attrs={"data-order-id": sale.order_id, "data-payout": sale.payout},
    )  # fmt: skip


def sales_page() -> rx.Component:
    return page(
        form_error(SalesState.error),
        loading_or(
            SalesState.loading,
            rx.vstack(
                rx.foreach(SalesState.totals, totals_row),
                payout_account(),
                rx.heading("Sales", size="5", margin_top="0.5rem"),
                rx.cond(
                    SalesState.sales.length() > 0,
                    rx.vstack(rx.foreach(SalesState.sales, sale_row), width="100%"),
                    rx.text("Nothing sold yet. ", rx.link("Sell a ticket", href="/sell"), "."),
                ),
                spacing="4",
                width="100%",
            ),
        ),
        title="My sales",
    )


def payouts_page() -> rx.Component:
    return page(
        rx.card(
            loading_or(
                R.loading,
                rx.vstack(
                    form_error(R.error),
                    rx.cond(
                        R.account == "ready",
                        rx.callout("Your payout account is ready. What your sales bring is "
                                   "paid out to it once it is due.", icon="circle_check",
                                   color_scheme="green", data_testid="payouts-outcome"),
                        rx.cond(
                            R.error == "",
                            rx.vstack(
                                rx.callout(
                                    rx.cond(R.onboarding == "again",
                                            "The onboarding link expired before it was "
                                            "finished. Onboarding isn't finished.",
                                            "Onboarding isn't finished: Stripe needs a few more "
                                            "details before it can pay you."),
                                    icon="triangle_alert", color_scheme="amber",
                                    data_testid="payouts-outcome"),
                                connect_button(R),
                                spacing="3",
                            ),
                        ),
                    ),
                    rx.link("Back to My sales", href="/sales", data_testid="back-to-sales"),
                    spacing="4",
                    width="100%",
                ),
            ),
            max_width="640px",
        ),
        title="Payout account",
    )  # fmt: skip

"""``/checkout/[order_id]``: pay for a locked ticket, or for seats held together, before
the countdown ends."""

from __future__ import annotations

import reflex as rx

from ticketing_ui.components.layout import page
from ticketing_ui.components.money import price_breakdown
from ticketing_ui.components.widgets import card_form, countdown, local_time
from ticketing_ui.state.checkout import CheckoutState

ORDER = CheckoutState.order
SEVERAL = ORDER.seat_count > 1


def summary() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(ORDER.title, size="5"),
            rx.text(
                ORDER.event_name,
                " · ",
                local_time(ORDER.starts_at, ORDER.starts_label),
                color_scheme="gray",
            ),
            rx.cond(
                SEVERAL,
                rx.vstack(
                    rx.text(
                        ORDER.seat_count,
                        " seats together",
                        weight="bold",
                        data_testid="order-seat-count",
                    ),
                    rx.text(ORDER.seats_label, data_testid="order-seats"),
                    spacing="0",
                ),
            ),
            rx.hstack(
                rx.text(ORDER.price_label, size="7", weight="bold", data_testid="order-price"),
                rx.cond(SEVERAL, rx.text("in all", color_scheme="gray")),
                align="baseline",
                spacing="2",
            ),
            # The order's breakdown: every seat's list price and service fee together.
            price_breakdown(
                ORDER.list_price_label,
                ORDER.buyer_fee_label,
                ORDER.price_label,
                tickets=rx.cond(SEVERAL, "Tickets", "Ticket price"),
            ),
            rx.badge(ORDER.status_label, size="2", data_testid="order-status"),
            spacing="2",
            align="start",
        ),
        width="100%",
    )


def pay_panel() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon("timer"),
                rx.text(rx.cond(SEVERAL, "The seats are held for you for ",
                                "The ticket is held for you for ")),
                rx.text(
                    countdown(ORDER.expires_at_ms, CheckoutState.server_now_ms),
                    weight="bold",
                    size="5",
                ),
                align="center",
                wrap="wrap",
            ),
            rx.cond(
                CheckoutState.message != "",
                rx.callout(CheckoutState.message, icon="triangle_alert", color_scheme="red",
                           role="alert", data_testid="checkout-message"),
            ),
            card_form(
                stripe_js_url=CheckoutState.stripe_js_url,
                publishable_key=CheckoutState.publishable_key,
                client_secret=CheckoutState.client_secret,
                action_secret=CheckoutState.action_secret,
                pay_label="Pay " + ORDER.price_label,
                disabled=CheckoutState.phase != "pay",
                on_payment_method=CheckoutState.pay_with,
                on_card_error=CheckoutState.card_error,
                on_action_done=CheckoutState.action_done,
            ),
            rx.cond(
                (CheckoutState.phase == "paying") | (CheckoutState.phase == "action"),
                rx.hstack(rx.spinner(), rx.text("Confirming your payment…")),
            ),
            rx.button(rx.cond(SEVERAL, "Cancel and release the seats",
                              "Cancel and release the ticket"),
                      variant="ghost", color_scheme="gray", on_click=CheckoutState.cancel,
                      data_testid="cancel-order"),
            spacing="4",
            width="100%",
        ),
        width="100%",
    )  # fmt: skip


def outcome(icon: str, color: str, title: str | rx.Component, text: rx.Component) -> rx.Component:
    return rx.callout.root(
        rx.callout.icon(rx.icon(icon)),
        rx.callout.text(rx.text(title, weight="bold"), text),
        color_scheme=color,
        size="3",
        data_testid="checkout-outcome",
    )


def checkout_page() -> rx.Component:
    return page(
        rx.grid(
            summary(),
            rx.match(
                CheckoutState.phase,
                ("loading", rx.center(rx.spinner(size="3"))),
                ("succeeded", outcome("circle_check", "green",
                                      rx.cond(SEVERAL, "Paid — the seats are yours.",
                                              "Paid — the ticket is yours."),
                                      rx.fragment(
                                          rx.cond(SEVERAL, rx.text(
                                              "Sold to you: ", ORDER.seats_label, ".",
                                              data_testid="seats-sold-to-you")),
                                          rx.link("See my tickets", href="/listings"),
                                      ))),
                ("declined", outcome("circle_x", "red", "Your card was declined.",
                                     rx.text(CheckoutState.message, " The order is cancelled "
                                             "and the ticket released."))),
                ("expired", outcome("clock", "amber", "Time ran out.",
                                    rx.text("The ticket was released. It may still be available:"
                                            " try again from its page."))),
                ("cancelled", outcome("circle_x", "gray", "Order cancelled.",
                                      rx.link("Browse events", href="/"))),
                ("missing", outcome("circle_x", "red", "Order not found.",
                                    rx.text(CheckoutState.message))),
                pay_panel(),
            ),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="5",
            width="100%",
            custom_attrs={"data-phase": CheckoutState.phase},
            data_testid="checkout",
        ),
        title="Checkout",
    )  # fmt: skip

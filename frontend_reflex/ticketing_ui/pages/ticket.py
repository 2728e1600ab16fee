"""``/tickets/[ticket_id]``: one ticket; buy it, or edit its price if it is yours."""

from __future__ import annotations

import reflex as rx

from ticketing_ui.components.events import event_status_badge
from ticketing_ui.components.layout import (
    error_text,
    form_error,
    loading_or,
    page,
    spinner_button,
)
from ticketing_ui.components.money import fee_quote, price_breakdown
from ticketing_ui.components.tickets import status_badge
from ticketing_ui.components.widgets import local_time
from ticketing_ui.state.fees import FeeQuoteState
from ticketing_ui.state.ticket import TicketState

T = TicketState.ticket


def owner_panel() -> rx.Component:
    return rx.card(
        rx.heading("Your listing", size="4", margin_bottom="0.5rem"),
        rx.match(
            T.status,
            (
                "locked",
                rx.callout(
                    "A buyer is paying for this ticket right now, so its price can't change. "
                    "If they don't pay in time it unlocks and you can edit it again.",
                    icon="lock",
                    color_scheme="amber",
                    data_testid="locked-explanation",
                ),
            ),
            ("sold", rx.text("Sold. The buyer owns it now.", color_scheme="gray")),
            ("void", rx.text("Its event was cancelled: this ticket is void.",
                             color_scheme="gray")),
            rx.fragment(),
        ),
        rx.text("Your price ", rx.text.strong(T.list_price_label), " · you receive ",
                rx.text.strong(T.proceeds_label, data_testid="proceeds"),
                color_scheme="gray", size="2", margin_top="0.5rem"),
        rx.form(
            rx.hstack(
                rx.box(
                    rx.el.label("Your price ($)", html_for="price", class_name="field-label"),
                    # The list price (buyers pay it plus the buyer fee); it starts afresh
                    # when the price changes (the key).
                    rx.input(id="price", name="price", inputmode="decimal", size="3",
                             default_value=T.list_price_typed, key=T.list_price_typed,
                             on_change=FeeQuoteState.price_typed.debounce(300),
                             disabled=(T.status == "sold") | (T.status == "void")),
                ),
                spinner_button("Save price", TicketState.saving, type="submit",
                               data_testid="save-price"),
                align="end",
                wrap="wrap",
            ),
            fee_quote(),
            error_text(TicketState.price_error, data_testid="price-error"),
            rx.cond(TicketState.price_saved != "",
                    rx.text(TicketState.price_saved, color_scheme="green", role="status")),
            on_submit=TicketState.save_price,
            margin_top="0.75rem",
        ),
        width="100%",
    )  # fmt: skip


def buyer_panel() -> rx.Component:
    return rx.card(
        rx.match(
            T.status,
            ("sold", rx.text("This ticket has been sold.", color_scheme="gray")),
            (
                "void",
                rx.text(
                    "Its event was cancelled: this ticket can't be bought.", color_scheme="gray"
                ),
            ),
            (
                "locked",
                rx.text(
                    "Someone is buying this ticket. If they don't pay in time it becomes "
                    "available again, right here.",
                    color_scheme="gray",
                ),
            ),
            rx.vstack(
                rx.text(
                    "Buying holds the ticket for you while you pay by card.", color_scheme="gray"
                ),
                spinner_button(
                    "Buy for " + T.price_label,
                    TicketState.buying,
                    on_click=TicketState.buy,
                    data_testid="buy-button",
                ),
            ),
        ),
        error_text(TicketState.buy_error, data_testid="buy-error"),
        width="100%",
    )


def ticket_page() -> rx.Component:
    return page(
        loading_or(
            TicketState.loading,
            rx.cond(
                TicketState.found,
                rx.grid(
                    rx.vstack(
                        rx.hstack(
                            rx.badge(T.kind_label, variant="soft", color_scheme="iris"),
                            status_badge(T, TicketState.server_now_ms),
                        ),
                        rx.heading(T.title, size="8", data_testid="ticket-title"),
                        rx.hstack(
                            rx.cond(
                                T.event_id != "",
                                rx.link(
                                    T.event_name,
                                    href="/events/" + T.event_id,
                                    size="5",
                                    weight="medium",
                                    data_testid="event-link",
                                ),
                                rx.text(T.event_name, size="5", weight="medium"),
                            ),
                            rx.cond(
                                T.event_status_label != "",
                                event_status_badge(T.event_status, T.event_status_label),
                            ),
                            align="center",
                        ),
                        rx.text(
                            T.place_label,
                            " · ",
                            local_time(T.starts_at, T.starts_label),
                            color_scheme="gray",
                        ),
                        rx.text(T.seat_label, color_scheme="gray"),
                        rx.text("Sold by ", T.seller_name, color_scheme="gray", size="2"),
                        rx.text(T.price_label, size="8", weight="bold", data_testid="price"),
                        price_breakdown(T.list_price_label, T.buyer_fee_label, T.price_label),
                        spacing="2",
                        align="start",
                    ),
                    rx.cond(TicketState.is_owner, owner_panel(), buyer_panel()),
                    columns=rx.breakpoints(initial="1", md="2"),
                    spacing="5",
                    width="100%",
                    data_testid="ticket-detail",
                    custom_attrs={"data-status": T.status},
                ),
                rx.vstack(
                    form_error(TicketState.buy_error),
                    rx.heading("Ticket not found", size="6"),
                    rx.link("See upcoming events", href="/"),
                ),
            ),
        ),
    )

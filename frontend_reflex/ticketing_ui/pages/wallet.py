"""``/tickets/<id>/code``: one ticket's door code, large, with its event and seat, to print
(the page's buttons are left off the paper)."""

from __future__ import annotations

import reflex as rx

from ticketing_ui.components.layout import loading_or
from ticketing_ui.components.wallet import qr_image, used_line
from ticketing_ui.components.widgets import local_time
from ticketing_ui.state.wallet import CodePageState

CARD = CodePageState.card


def printable_code() -> rx.Component:
    ticket = CARD.ticket
    return rx.vstack(
        rx.heading(ticket.event_name, size="7", align="center", data_testid="code-event"),
        rx.text(local_time(ticket.starts_at, ticket.starts_label), " · ", ticket.place_label,
                size="3", align="center"),
        rx.text(ticket.title, size="3", color_scheme="gray", align="center"),
        rx.text(ticket.seat_label, size="6", weight="bold", data_testid="code-seat"),
        qr_image(CARD, class_name="qr-code qr-code-large"),
        rx.el.code(CARD.code, class_name="code-text", data_testid="ticket-code"),
        used_line(CARD.used_at, CARD.used_label),
        rx.text("Show this code at the door: it lets one person in, once. It stops working "
                "if the ticket is sold again or given away.", size="2", color_scheme="gray",
                align="center"),
        align="center",
        spacing="3",
        width="100%",
    )  # fmt: skip


def code_page() -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.link(rx.hstack(rx.icon("arrow-left", size=16), "My tickets", align="center",
                              spacing="1"), href="/listings"),
            rx.button(rx.icon("printer", size=16), "Print",
                      on_click=rx.call_script("window.print()"), data_testid="print-button"),
            justify="between",
            align="center",
            width="100%",
            class_name="no-print",
            margin_bottom="1.5rem",
        ),
        loading_or(
            CodePageState.loading,
            rx.cond(
                CARD.qr_src != "",
                printable_code(),
                rx.callout(CodePageState.error, icon="info", color_scheme="gray",
                           data_testid="code-missing"),
            ),
        ),
        class_name="printable",
        max_width="640px",
        margin_x="auto",
        padding="2rem 1rem",
    )  # fmt: skip

"""How a ticket looks: its status badge (with a ticking countdown when locked) and card."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ticketing_ui.components.widgets import countdown, local_time


def status_badge(ticket: Any, server_now_ms: Any) -> rx.Component:
    return rx.match(
        ticket.status,
        (
            "locked",
            rx.badge(
                rx.icon("lock", size=12),
                "Locked · ",
                countdown(ticket.locked_until_ms, server_now_ms, expired_text="unlocking…"),
                color_scheme="amber",
                size="2",
                data_testid="status-locked",
            ),
        ),
        ("sold", rx.badge("Sold", color_scheme="gray", size="2", data_testid="status-sold")),
        # its event was cancelled: never for sale again
        ("void", rx.badge("Void", color_scheme="red", size="2", data_testid="status-void")),
        rx.badge("Available", color_scheme="green", size="2", data_testid="status-available"),
    )


def ticket_card(ticket: Any, server_now_ms: Any) -> rx.Component:  # a TicketView Var
    return rx.link(
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.badge(ticket.kind_label, variant="soft", color_scheme="iris"),
                    status_badge(ticket, server_now_ms),
                    justify="between",
                    width="100%",
                ),
                rx.heading(ticket.title, size="4", class_name="ticket-title"),
                rx.text(ticket.event_name, weight="medium"),
                rx.text(
                    ticket.venue,
                    " · ",
                    local_time(ticket.starts_at, ticket.starts_label),
                    color_scheme="gray",
                    size="2",
                ),
                rx.text(ticket.seat_label, color_scheme="gray", size="2"),
                rx.hstack(
                    rx.text(ticket.price_label, size="5", weight="bold", data_testid="price"),
                    rx.text("by ", ticket.seller_name, color_scheme="gray", size="2"),
                    justify="between",
                    align="end",
                    width="100%",
                ),
                spacing="2",
                align="start",
            ),
            width="100%",
            height="100%",
            class_name="ticket-card",
            custom_attrs={"data-status": ticket.status},
        ),
        href="/tickets/" + ticket.id,
        underline="none",
        color="inherit",
        data_testid="ticket-card",
        custom_attrs={"data-ticket-id": ticket.id, "data-status": ticket.status},
    )

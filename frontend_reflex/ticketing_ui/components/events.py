"""How an event looks: its status badge and its card in the catalogue."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ticketing_ui.components.widgets import local_time


def event_status_badge(status: Any, label: Any) -> rx.Component:
    """Nothing for a scheduled event; postponed and cancelled ones say so."""
    return rx.match(
        status,
        ("scheduled", rx.fragment()),
        (
            "cancelled",
            rx.badge(label, color_scheme="red", size="2", data_testid="event-status"),
        ),
        rx.badge(label, color_scheme="amber", size="2", data_testid="event-status"),
    )


def event_card(event: Any) -> rx.Component:  # an EventView Var
    return rx.link(
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.badge(event.kind_label, variant="soft", color_scheme="iris"),
                    event_status_badge(event.status, event.status_label),
                    justify="between",
                    width="100%",
                ),
                rx.heading(event.name, size="4", class_name="ticket-title"),
                rx.cond(
                    event.performers_label != "",
                    rx.text(event.performers_label, weight="medium", data_testid="performers"),
                ),
                rx.text(event.place_label, color_scheme="gray", size="2"),
                rx.text(
                    local_time(event.starts_at, event.starts_label), color_scheme="gray", size="2"
                ),
                rx.spacer(),
                rx.text(
                    event.availability_label,
                    size="3",
                    weight="bold",
                    color_scheme=rx.cond(event.available > 0, "green", "gray"),
                    data_testid="availability",
                ),
                spacing="2",
                align="start",
                height="100%",
            ),
            width="100%",
            height="100%",
            class_name="ticket-card",
            custom_attrs={"data-status": event.status},
        ),
        href="/events/" + event.id,
        underline="none",
        color="inherit",
        data_testid="event-card",
        custom_attrs={"data-event-id": event.id, "data-status": event.status},
    )

"""``/sell``: list a ticket, or several seats sold together — pick its event from the
catalogue, or add a new one."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ticketing_ui.components.events import event_status_badge
from ticketing_ui.components.layout import (
    error_text,
    field,
    form_error,
    kind_select,
    page,
    spinner_button,
)
from ticketing_ui.components.money import fee_quote
from ticketing_ui.components.widgets import local_time
from ticketing_ui.seats import SPLIT_LABELS
from ticketing_ui.state.fees import FeeQuoteState
from ticketing_ui.state.sell import SEARCH_MIN_CHARS, SellState

E = SellState.errors
CHOSEN = SellState.chosen
# Errors the API names by their place in the body, shown above the submit button.
BODY_ERRORS = [
    "eventId", "event", "event.name", "event.venue", "event.venue.name", "event.venue.city",
    "event.startsAt", "event.performers", "price.amount",
]  # fmt: skip


def event_summary(event: Any) -> rx.Component:  # an EventView Var
    return rx.vstack(
        rx.hstack(
            rx.text(event.name, weight="bold"),
            event_status_badge(event.status, event.status_label),
            align="center",
        ),
        rx.text(event.place_label, " · ", local_time(event.starts_at, event.starts_label),
                color_scheme="gray", size="2"),
        spacing="1",
        align="start",
    )  # fmt: skip


def match_option(event: Any) -> rx.Component:
    return rx.button(
        event_summary(event),
        type="button",
        variant="surface",
        color_scheme="gray",
        width="100%",
        height="auto",
        padding="0.5rem 0.75rem",
        style={"justify_content": "flex-start", "text_align": "left"},
        disabled=event.status == "cancelled",
        on_click=SellState.choose_event(event.id),
        data_testid="event-option",
        custom_attrs={"data-event-id": event.id},
    )


def event_picker() -> rx.Component:
    """Search the catalogue as you type; or leave it and add the event below."""
    return rx.vstack(
        rx.el.label("Find the event", html_for="eventSearch", class_name="field-label"),
        rx.input(id="eventSearch", placeholder="Event, performer, venue or city", size="3",
                 width="100%", auto_complete="off", aria_label="Find the event",
                 on_change=SellState.search_events.debounce(250)),
        error_text(SellState.search_error, data_testid="event-search-error"),
        rx.cond(
            SellState.matches.length() > 0,
            rx.vstack(rx.foreach(SellState.matches, match_option), spacing="2", width="100%",
                      data_testid="event-options"),
            rx.cond(
                SellState.searched.length() >= SEARCH_MIN_CHARS,
                rx.text("No upcoming event matches. Add it below.", color_scheme="gray",
                        size="2", data_testid="no-event-match"),
            ),
        ),
        spacing="2",
        width="100%",
    )  # fmt: skip


def chosen_event() -> rx.Component:
    return rx.callout.root(
        rx.hstack(
            rx.vstack(
                rx.text("Selling a ticket for", size="1", color_scheme="gray"),
                event_summary(CHOSEN),
                spacing="1",
                align="start",
            ),
            rx.button("Change event", type="button", variant="soft", color_scheme="gray",
                      on_click=SellState.forget_event, data_testid="change-event"),
            justify="between",
            align="center",
            width="100%",
            wrap="wrap",
        ),
        color_scheme="iris",
        width="100%",
        data_testid="chosen-event",
        custom_attrs={"data-event-id": CHOSEN.id},
    )  # fmt: skip


def new_event_fields() -> rx.Component:
    return rx.vstack(
        rx.text("Not in the catalogue? Add the event:", weight="medium"),
        rx.grid(
            field("Event", "eventName", E, placeholder="The Band — World Tour",
                  max_length=120, required=True),
            field("Kind", "event.kind", E, control=kind_select("concert", id="kind")),
            field("Venue", "venue", E, placeholder="Olympia Hall", max_length=120,
                  required=True),
            field("City", "city", E, placeholder="Paris", max_length=120),
            field("Date and time", "startsAt", E, type="datetime-local", required=True),
            field("Performers", "performers", E, placeholder="The Band, The Opener",
                  max_length=400),
            columns=rx.breakpoints(initial="1", sm="2"),
            spacing="3",
            width="100%",
        ),
        spacing="3",
        width="100%",
    )  # fmt: skip


def seats_switch() -> rx.Component:
    return rx.el.label(
        rx.hstack(
            rx.switch(checked=SellState.together, on_change=SellState.set_together,
                      data_testid="seats-together"),
            rx.text("Several seats side by side, sold together", weight="medium"),
            align="center",
            spacing="2",
        ),
    )  # fmt: skip


def split_option(value: str, label: str) -> rx.Component:
    return rx.el.label(
        rx.hstack(
            rx.radio_group.item(value=value, id=f"split-{value}"),
            rx.text(label),
            align="center",
            spacing="2",
        ),
    )


def split_choice() -> rx.Component:
    """How buyers may split the seats, with what each rule means."""
    return rx.box(
        rx.el.label("How buyers may split them", class_name="field-label"),
        rx.radio_group.root(
            rx.hstack(
                *[split_option(value, label) for value, label in SPLIT_LABELS.items()],
                spacing="4",
                wrap="wrap",
            ),
            value=SellState.split,
            on_change=SellState.set_split,
            name="split",
            data_testid="split",
        ),
        rx.text(SellState.split_explained, color_scheme="gray", size="2",
                data_testid="split-explained"),
        error_text(E.get("split", ""), data_testid="error-split"),
        width="100%",
    )  # fmt: skip


def sell_page() -> rx.Component:
    currency = rx.select.root(
        rx.select.trigger(width="100%", id="currency"),
        rx.select.content(*[rx.select.item(c.upper(), value=c) for c in ("usd", "eur", "gbp")]),
        name="currency",
        default_value="usd",
        on_change=FeeQuoteState.currency_chosen,
    )
    return page(
        rx.card(
            rx.vstack(
                rx.cond(CHOSEN.id != "", chosen_event(), event_picker()),
                rx.form(
                    rx.vstack(
                        form_error(SellState.error),
                        rx.cond(CHOSEN.id == "", new_event_fields()),
                        rx.separator(size="4"),
                        field("Listing title", "title", E, placeholder="Two seats, great view",
                              max_length=120, required=True),
                        seats_switch(),
                        rx.grid(
                            field("Section", "section", E, max_length=20),
                            field("Row", "row", E, max_length=20),
                            rx.cond(
                                SellState.together,
                                field("Seats", "seats", E, placeholder="11-14 or 11, 12, 13",
                                      max_length=200, required=True),
                                field("Seat", "seat", E, max_length=20),
                            ),
                            columns="3",
                            spacing="3",
                            width="100%",
                        ),
                        rx.cond(SellState.together, split_choice()),
                        rx.grid(
                            rx.box(
                                field(rx.cond(SellState.together, "Price per seat", "Price"),
                                      "price", E, inputmode="decimal", placeholder="75.00",
                                      required=True,
                                      on_change=FeeQuoteState.price_typed.debounce(300)),
                                fee_quote(),
                                width="100%",
                            ),
                            field("Currency", "price.currency", E, control=currency),
                            columns="2",
                            spacing="3",
                            width="100%",
                        ),
                        rx.foreach(
                            BODY_ERRORS,
                            lambda name: rx.cond(
                                E.get(name, "") != "",
                                rx.text(E.get(name, ""), color_scheme="red", size="2",
                                        role="alert", data_testid="error-" + name),
                            ),
                        ),
                        spinner_button("List it for sale", SellState.busy, type="submit",
                                       data_testid="sell-submit"),
                        spacing="4",
                        width="100%",
                    ),
                    on_submit=SellState.submit,
                ),
                spacing="5",
                width="100%",
            ),
            max_width="720px",
        ),
        title="Sell a ticket",
    )  # fmt: skip

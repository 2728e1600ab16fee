"""``/sell``: list a ticket."""

from __future__ import annotations

import reflex as rx

from ticketing_ui.components.layout import field, form_error, page, spinner_button
from ticketing_ui.state.sell import SellState

E = SellState.errors


def sell_page() -> rx.Component:
    kind = rx.select.root(
        rx.select.trigger(width="100%", id="kind"),
        rx.select.content(
            rx.select.item("Concert", value="concert"),
            rx.select.item("Sport", value="sport"),
            rx.select.item("Other", value="other"),
        ),
        name="kind",
        default_value="concert",
    )
    currency = rx.select.root(
        rx.select.trigger(width="100%", id="currency"),
        rx.select.content(*[rx.select.item(c.upper(), value=c) for c in ("usd", "eur", "gbp")]),
        name="currency",
        default_value="usd",
    )
    return page(
        rx.card(
            rx.form(
                rx.vstack(
                    form_error(SellState.error),
                    field("Listing title", "title", E, placeholder="Two seats, great view",
                          max_length=120, required=True),
                    rx.grid(
                        field("Event", "eventName", E, placeholder="The Band — World Tour",
                              max_length=120, required=True),
                        field("Kind", "event.kind", E, control=kind),
                        field("Venue", "venue", E, placeholder="Arena, City", max_length=120,
                              required=True),
                        field("Date and time", "startsAt", E, type="datetime-local",
                              required=True),
                        columns=rx.breakpoints(initial="1", sm="2"),
                        spacing="3",
                        width="100%",
                    ),
                    rx.grid(
                        field("Section", "section", E, max_length=20),
                        field("Row", "row", E, max_length=20),
                        field("Seat", "seat", E, max_length=20),
                        columns="3",
                        spacing="3",
                        width="100%",
                    ),
                    rx.grid(
                        field("Price", "price", E, inputmode="decimal", placeholder="75.00",
                              required=True),
                        field("Currency", "price.currency", E, control=currency),
                        columns="2",
                        spacing="3",
                        width="100%",
                    ),
                    # The API names some fields by their place in the body.
                    rx.foreach(
                        ["event.name", "event.venue", "event.startsAt", "price.amount"],
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
            max_width="720px",
        ),
        title="Sell a ticket",
    )  # fmt: skip

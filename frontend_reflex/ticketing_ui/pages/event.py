"""``/events/[event_id]``: one event — when and where — and its listings, cheapest first,
each with its live lock state and a buy button."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ticketing_ui.components.events import event_status_badge
from ticketing_ui.components.filters import price_range
from ticketing_ui.components.layout import error_text, form_error, labelled, page
from ticketing_ui.components.tickets import status_badge
from ticketing_ui.components.widgets import local_time
from ticketing_ui.state.event import EventState

S = EventState
E = EventState.event


def header() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.badge(E.kind_label, variant="soft", color_scheme="iris"),
            event_status_badge(E.status, E.status_label),
        ),
        rx.heading(E.name, size="8", data_testid="event-name"),
        rx.cond(E.performers_label != "", rx.text(E.performers_label, size="5", weight="medium")),
        rx.hstack(
            rx.icon("map_pin", size=16),
            rx.text(E.place_label, data_testid="event-place"),
            color="var(--gray-11)",
            align="center",
        ),
        rx.hstack(
            rx.icon("calendar", size=16),
            rx.text(local_time(E.starts_at, E.starts_label), data_testid="event-starts"),
            color="var(--gray-11)",
            align="center",
        ),
        rx.hstack(
            rx.text(E.availability_label, size="5", weight="bold", data_testid="availability"),
            rx.cond(
                E.locked > 0,
                rx.text("· ", E.locked, " on hold", color_scheme="amber", data_testid="on-hold"),
            ),
            align="baseline",
            wrap="wrap",
        ),
        rx.match(
            E.status,
            ("cancelled", rx.callout(
                "This event is cancelled. Its tickets can no longer be bought, and unpaid "
                "orders for them were cancelled.", icon="circle_x", color_scheme="red",
                data_testid="event-cancelled",
            )),
            ("postponed", rx.callout(
                "This event is postponed. Tickets stay valid for the new date.",
                icon="calendar_clock", color_scheme="amber",
            )),
            rx.fragment(),
        ),
        spacing="2",
        align="start",
        width="100%",
    )  # fmt: skip


def listing_filters() -> rx.Component:
    return rx.form(
        rx.hstack(
            labelled("Section", rx.input(name="section", aria_label="Section",
                                         default_value=S.section, width="8rem")),
            *price_range(S.min_price, S.max_price, width="7rem"),
            rx.button("Filter", type="submit", data_testid="apply-listing-filters"),
            rx.cond(S.filtered, rx.button("Clear", type="button", variant="soft",
                                          color_scheme="gray", on_click=S.clear_filters)),
            align="end",
            wrap="wrap",
            spacing="3",
        ),
        on_submit=S.apply_filters,
        reset_on_submit=False,
    )  # fmt: skip


def is_yours(row: Any) -> Any:
    # By its seller's id: a sold ticket's public owner is "", as a signed-out visitor's id.
    return S.signed_in & (S.user_id == row.seller_id)


def your_listing(row: Any) -> rx.Component:
    return rx.link(rx.button("Your listing", variant="soft"), href="/tickets/" + row.ticket_id)


def buy_button(row: Any, **props: Any) -> rx.Component:
    return rx.button(
        rx.cond(S.buying_id == row.id, rx.spinner(size="2"), rx.fragment()),
        "Buy",
        disabled=S.buying_id != "",
        **props,
    )


def buy_control(row: Any) -> rx.Component:  # a ListingRow Var of a ticket on its own
    return rx.cond(
        is_yours(row),
        your_listing(row),
        rx.match(
            row.status,
            ("available", buy_button(row, on_click=S.buy(row.id), data_testid="listing-buy")),
            ("locked", rx.button("On hold", disabled=True, variant="soft")),
            rx.fragment(),
        ),
    )


def quantity_picker(row: Any) -> rx.Component:
    """How many of the listing's free seats to buy: only what its rule allows."""
    return rx.form(
        rx.hstack(
            rx.el.input(type="hidden", name="listingId", value=row.listing_id),
            rx.select.root(
                rx.select.trigger(aria_label="How many seats", data_testid="seats-quantity"),
                rx.select.content(
                    rx.foreach(row.quantities, lambda q: rx.select.item(q, value=q)),
                ),
                name="quantity",
                default_value=row.quantity,
                key=row.picker_key,
            ),
            buy_button(row, type="submit", data_testid="seats-buy"),
            align="center",
            spacing="2",
        ),
        on_submit=S.buy_seats,
        reset_on_submit=False,
    )  # fmt: skip


def seats_buy_control(row: Any) -> rx.Component:  # a ListingRow Var of seats together
    return rx.cond(
        is_yours(row),
        your_listing(row),
        rx.cond(
            row.quantities.length() > 0,
            quantity_picker(row),
            rx.cond(row.status != "sold",
                    rx.button("On hold", disabled=True, variant="soft")),
        ),
    )  # fmt: skip


def row_card(
    row: Any, state: rx.Component, control: rx.Component, *below: rx.Component, **attrs: Any
) -> rx.Component:
    """A row of the event page: where and what, its state, price and buy control."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.vstack(
                    rx.text(row.place_label, weight="bold", size="4", data_testid="place"),
                    rx.link(row.title, href="/tickets/" + row.ticket_id, color_scheme="gray",
                            size="2", class_name="ticket-title"),
                    rx.text("Sold by ", row.seller_name, color_scheme="gray", size="1"),
                    spacing="1",
                    align="start",
                ),
                rx.spacer(),
                state,
                rx.text(row.price_label, size="5", weight="bold", data_testid="price"),
                control,
                align="center",
                width="100%",
                wrap="wrap",
                spacing="4",
            ),
            *below,
            rx.cond(S.buy_error_for == row.id,
                    error_text(S.buy_error, data_testid="buy-error")),
            width="100%",
        ),
        width="100%",
        class_name="ticket-card",
        data_testid="listing",
        custom_attrs={"data-status": row.status, **attrs},
    )  # fmt: skip


def listing_row(row: Any) -> rx.Component:  # a ListingRow Var of a ticket on its own
    return row_card(
        row, status_badge(row, S.server_now_ms), buy_control(row), **{"data-ticket-id": row.id}
    )


def seats_state(row: Any) -> rx.Component:
    """How many seats are free, held and sold (a countdown when none is free)."""
    return rx.vstack(
        rx.cond(
            row.status == "available",
            rx.badge(row.free_label, color_scheme="green", size="2", data_testid="seats-free"),
            status_badge(row, S.server_now_ms),
        ),
        rx.hstack(
            rx.cond(row.held > 0, rx.text(row.held, " on hold", color_scheme="amber",
                                          size="1", data_testid="seats-held")),
            rx.cond(row.sold > 0, rx.text(row.sold, " sold", color_scheme="gray",
                                          size="1", data_testid="seats-sold")),
            spacing="2",
        ),
        spacing="1",
        align="end",
    )  # fmt: skip


def seats_row(row: Any) -> rx.Component:  # a ListingRow Var of seats sold together
    rule = rx.hstack(
        rx.icon("users", size=14),
        rx.text(row.split_label, size="2", data_testid="split-rule"),
        color="var(--gray-11)",
        align="center",
    )
    attrs = {"data-listing-id": row.listing_id, "data-free": row.free}
    return row_card(row, seats_state(row), seats_buy_control(row), rule, **attrs)


def row_view(row: Any) -> rx.Component:
    return rx.cond(row.listing_id != "", seats_row(row), listing_row(row))


def listings() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading("Tickets", size="6"),
            rx.text(S.listings_label, color_scheme="gray", data_testid="listings-count"),
            rx.spacer(),
            rx.link(rx.button(rx.icon("plus"), "Sell a ticket for this event", variant="soft"),
                    href="/sell?event=" + E.id),
            align="baseline",
            width="100%",
            wrap="wrap",
        ),
        listing_filters(),
        rx.cond(
            S.rows.length() > 0,
            rx.vstack(rx.foreach(S.rows, row_view), spacing="3", width="100%",
                      data_testid="listings"),
            rx.center(
                rx.text(rx.cond(S.filtered, "No listings match these filters.",
                                "No tickets for sale yet."), color_scheme="gray"),
                padding="2rem",
                width="100%",
            ),
        ),
        spacing="4",
        width="100%",
    )  # fmt: skip


def event_page() -> rx.Component:
    return page(
        form_error(S.error),
        rx.cond(
            S.loading & (E.id == ""),
            rx.center(rx.spinner(size="3"), padding="2.5rem"),
            rx.cond(
                S.found,
                rx.vstack(
                    header(),
                    rx.separator(size="4"),
                    listings(),
                    spacing="5",
                    width="100%",
                    data_testid="event-detail",
                    custom_attrs={"data-event-id": E.id, "data-status": E.status},
                ),
                rx.vstack(
                    rx.heading("Event not found", size="6"),
                    rx.link("See upcoming events", href="/"),
                ),
            ),
        ),
    )

"""``/tickets``: every ticket on sale (the market), filtered, live."""

from __future__ import annotations

import reflex as rx

from ticketing_ui.components.layout import form_error, kind_select, labelled, page
from ticketing_ui.components.tickets import ticket_card
from ticketing_ui.state.market import SORTS, MarketState


def filters() -> rx.Component:
    return rx.form(
        rx.grid(
            labelled(
                "Search",
                rx.input(name="q", placeholder="Artist, team, venue…", default_value=MarketState.q,
                         aria_label="Search", width="100%"),
            ),
            labelled("Kind", kind_select(MarketState.kind, everything="All", aria_label="Kind")),
            labelled("From", rx.input(name="dateFrom", type="date", aria_label="From date",
                                      default_value=MarketState.date_from, width="100%")),
            labelled("To", rx.input(name="dateTo", type="date", aria_label="To date",
                                    default_value=MarketState.date_to, width="100%")),
            labelled("Min $", rx.input(name="minPrice", inputmode="decimal",
                                       aria_label="Minimum price",
                                       default_value=MarketState.min_price, width="100%")),
            labelled("Max $", rx.input(name="maxPrice", inputmode="decimal",
                                       aria_label="Maximum price",
                                       default_value=MarketState.max_price, width="100%")),
            labelled(
                "Sort",
                rx.select.root(
                    rx.select.trigger(width="100%", aria_label="Sort"),
                    rx.select.content(*[rx.select.item(t, value=v) for v, t in SORTS.items()]),
                    name="sort",
                    default_value=MarketState.sort,
                ),
            ),
            rx.hstack(
                rx.button("Apply", type="submit", data_testid="apply-filters"),
                rx.button("Clear", type="button", variant="soft", color_scheme="gray",
                          on_click=MarketState.clear_filters),
                align="end",
                height="100%",
            ),
            columns=rx.breakpoints(initial="2", sm="4", lg="8"),
            spacing="3",
            width="100%",
            align="end",
        ),
        on_submit=MarketState.apply_filters,
        margin_bottom="1.5rem",
    )  # fmt: skip


def market_page() -> rx.Component:
    return page(
        rx.hstack(
            rx.heading("Tickets on sale", size="7"),
            rx.hstack(
                rx.link(rx.button("Browse events", variant="soft"), href="/"),
                rx.link(rx.button(rx.icon("plus"), "Sell a ticket"), href="/sell"),
                spacing="3",
            ),
            justify="between",
            align="center",
            width="100%",
            margin_bottom="1rem",
            wrap="wrap",
        ),
        filters(),
        form_error(MarketState.error),
        rx.cond(
            MarketState.loading,
            rx.center(rx.spinner(size="3"), padding="2.5rem"),
            rx.cond(
                MarketState.tickets.length() > 0,
                rx.grid(
                    rx.foreach(
                        MarketState.tickets,
                        lambda t: ticket_card(t, MarketState.server_now_ms),
                    ),
                    columns=rx.breakpoints(initial="1", sm="2", lg="3"),
                    spacing="4",
                    width="100%",
                    data_testid="market-grid",
                ),
                rx.center(
                    rx.text(
                        "No tickets match. Try other filters, or sell one!", color_scheme="gray"
                    ),
                    padding="2.5rem",
                ),
            ),
        ),
    )

"""``/tickets``: every ticket on sale (the market), filtered, live."""

from __future__ import annotations

import reflex as rx

from ticketing_ui.components.filters import day_range, filter_bar, price_range, sort_select
from ticketing_ui.components.layout import browse_header, form_error, kind_select, labelled, page
from ticketing_ui.components.tickets import ticket_card
from ticketing_ui.state.market import SORTS, MarketState

M = MarketState


def filters() -> rx.Component:
    return filter_bar(
        labelled("Search", rx.input(name="q", placeholder="Artist, team, venue…",
                                    default_value=M.q, aria_label="Search", width="100%")),
        labelled("Kind", kind_select(M.kind, everything="All", aria_label="Kind")),
        *day_range(M.date_from, M.date_to),
        *price_range(M.min_price, M.max_price),
        sort_select(SORTS, M.sort),
        on_submit=M.apply_filters,
        on_clear=M.clear_filters,
    )  # fmt: skip


def market_page() -> rx.Component:
    return page(
        browse_header("Tickets on sale", other="Browse events", other_href="/"),
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

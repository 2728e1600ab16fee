"""``/``: upcoming events — search, kind, city, dates, sort — each with its tickets' summary."""

from __future__ import annotations

import reflex as rx

from ticketing_ui.components.events import event_card
from ticketing_ui.components.filters import day_range, filter_bar, sort_select
from ticketing_ui.components.layout import browse_header, form_error, kind_select, labelled, page
from ticketing_ui.state.catalogue import SORTS, CatalogueState

S = CatalogueState


def filters() -> rx.Component:
    return filter_bar(
        rx.box(
            labelled("Search", rx.input(
                name="q", placeholder="Event, performer, venue or city", default_value=S.q,
                aria_label="Search events", width="100%", data_testid="event-search",
            )),
            grid_column="span 2",
        ),
        labelled("Kind", kind_select(S.kind, everything="All kinds", aria_label="Kind")),
        labelled("City", rx.input(name="city", placeholder="Any city", aria_label="City",
                                  default_value=S.city, width="100%")),
        *day_range(S.date_from, S.date_to),
        sort_select(SORTS, S.sort),
        on_submit=S.apply_filters,
        on_clear=S.clear_filters,
        submit="Search",
    )  # fmt: skip


def pager() -> rx.Component:
    return rx.cond(
        S.pages > 1,
        rx.hstack(
            rx.button("Previous", variant="soft", disabled=S.page <= 1,
                      on_click=S.go_to_page(S.page - 1)),
            rx.text("Page ", S.page, " of ", S.pages, color_scheme="gray", size="2"),
            rx.button("Next", variant="soft", disabled=S.page >= S.pages,
                      on_click=S.go_to_page(S.page + 1)),
            justify="center",
            align="center",
            width="100%",
            margin_top="1.5rem",
        ),
    )  # fmt: skip


def catalogue_page() -> rx.Component:
    return page(
        browse_header("Upcoming events", other="All tickets", other_href="/tickets"),
        filters(),
        form_error(S.error),
        rx.cond(
            S.loading,
            rx.center(rx.spinner(size="3"), padding="2.5rem"),
            rx.cond(
                S.events.length() > 0,
                rx.fragment(
                    rx.text(S.total_label, color_scheme="gray", size="2",
                            margin_bottom="0.75rem", data_testid="event-total"),
                    rx.grid(
                        rx.foreach(S.events, event_card),
                        columns=rx.breakpoints(initial="1", sm="2", lg="3"),
                        spacing="4",
                        width="100%",
                        data_testid="event-grid",
                    ),
                    pager(),
                ),
                rx.center(
                    rx.text("No upcoming events match. Try other filters, or sell a ticket "
                            "for a new one!", color_scheme="gray"),
                    padding="2.5rem",
                ),
            ),
        ),
    )  # fmt: skip

"""The filter bar of the catalogue and of the market: labelled controls in a grid, the
day range, the sort, and Apply / Clear."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ticketing_ui.components.layout import labelled


def day_range(date_from: Any, date_to: Any) -> list[rx.Component]:
    """``dateFrom`` and ``dateTo``: whole days, as ``state.market.day_bound`` reads them."""
    return [
        labelled("From", rx.input(name="dateFrom", type="date", aria_label="From date",
                                  default_value=date_from, width="100%")),
        labelled("To", rx.input(name="dateTo", type="date", aria_label="To date",
                                default_value=date_to, width="100%")),
    ]  # fmt: skip


def price_range(min_price: Any, max_price: Any, width: str = "100%") -> list[rx.Component]:
    """``minPrice`` and ``maxPrice`` in dollars, as ``state.market.cents`` reads them."""
    return [
        labelled("Min $", rx.input(name="minPrice", inputmode="decimal",
                                   aria_label="Minimum price", default_value=min_price,
                                   width=width)),
        labelled("Max $", rx.input(name="maxPrice", inputmode="decimal",
                                   aria_label="Maximum price", default_value=max_price,
                                   width=width)),
    ]  # fmt: skip


def sort_select(sorts: dict[str, str], default_value: Any) -> rx.Component:
    return labelled(
        "Sort",
        rx.select.root(
            rx.select.trigger(width="100%", aria_label="Sort"),
            rx.select.content(*[rx.select.item(text, value=v) for v, text in sorts.items()]),
            name="sort",
            default_value=default_value,
        ),
    )


def filter_bar(
    *controls: rx.Component, on_submit: Any, on_clear: Any, submit: str = "Apply"
) -> rx.Component:
    return rx.form(
        rx.grid(
            *controls,
            rx.hstack(
                rx.button(submit, type="submit", data_testid="apply-filters"),
                rx.icon_button(rx.icon("x"), type="button", variant="soft", color_scheme="gray",
                               on_click=on_clear, aria_label="Clear filters",
                               title="Clear filters"),
                align="end",
                height="100%",
            ),
            columns=rx.breakpoints(initial="2", sm="4", lg="8"),
            spacing="3",
            width="100%",
            align="end",
        ),
        on_submit=on_submit,
        margin_bottom="1.5rem",
    )  # fmt: skip

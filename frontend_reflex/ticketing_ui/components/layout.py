"""The frame of every page: navigation, the flash message, and form fields."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ticketing_ui.models import KINDS
from ticketing_ui.state.session import SessionState


def nav_link(text: str, href: str) -> rx.Component:
    return rx.link(text, href=href, size="3", weight="medium", color_scheme="gray")


def navbar() -> rx.Component:
    return rx.box(
        rx.flex(
            rx.link(
                rx.hstack(rx.icon("ticket", size=22), rx.heading("Ticketing", size="5")),
                href="/",
                underline="none",
                color_scheme="iris",
            ),
            rx.flex(
                nav_link("Events", "/"),
                nav_link("All tickets", "/tickets"),
                nav_link("Sell", "/sell"),
                rx.cond(SessionState.dev_mails, nav_link("Mails", "/dev/mails")),
                rx.cond(
                    SessionState.signed_in,
                    rx.fragment(
                        nav_link("My orders", "/orders"),
                        nav_link("My tickets", "/listings"),
                        nav_link("My sales", "/sales"),
                        nav_link("Profile", "/profile"),
                        rx.button(
                            "Sign out",
                            on_click=SessionState.sign_out,
                            variant="soft",
                            size="2",
                            data_testid="sign-out",
                        ),
                    ),
                    rx.fragment(
                        nav_link("Sign in", "/signin"),
                        rx.link(rx.button("Sign up", size="2"), href="/signup"),
                    ),
                ),
                spacing="4",
                align="center",
                wrap="wrap",
            ),
            justify="between",
            align="center",
            wrap="wrap",
            spacing="3",
            max_width="1100px",
            margin_x="auto",
            padding_x="1rem",
            padding_y="0.75rem",
        ),
        border_bottom="1px solid var(--gray-a5)",
        background="var(--color-panel-solid)",
        position="sticky",
        top="0",
        z_index="10",
    )


def flash() -> rx.Component:
    return rx.cond(
        SessionState.flash != "",
        rx.callout(
            rx.hstack(
                rx.text(SessionState.flash),
                rx.icon_button(
                    rx.icon("x", size=14),
                    on_click=SessionState.dismiss_flash,
                    variant="ghost",
                    size="1",
                    aria_label="Dismiss",
                ),
                justify="between",
                width="100%",
            ),
            icon="info",
            color_scheme="green",
            margin_bottom="1rem",
            role="status",
        ),
    )


def page(*children: rx.Component, title: str = "") -> rx.Component:
    return rx.box(
        navbar(),
        rx.box(
            flash(),
            rx.cond(title != "", rx.heading(title, size="7", margin_bottom="1rem")),
            *children,
            max_width="1100px",
            margin_x="auto",
            padding_x="1rem",
            padding_y="1.5rem",
        ),
        min_height="100vh",
        background="var(--gray-1)",
    )


def loading_or(loading: Any, content: rx.Component) -> rx.Component:
    """A spinner while the page's data loads, then ``content``."""
    return rx.cond(loading, rx.center(rx.spinner(size="3"), padding="2.5rem"), content)


def split_row(what: rx.Component, state: rx.Component) -> rx.Component:
    """A list row: what it is on the left, its state and actions on the right (below it
    on a narrow screen)."""
    return rx.flex(what, state, justify="between", align="center", wrap="wrap", spacing="3")


def error_text(message: Any, **props: Any) -> rx.Component:
    return rx.cond(
        message != "",
        rx.text(message, color_scheme="red", size="2", role="alert", **props),
    )


def field(
    label: str | rx.Var[str],
    name: str,
    errors: Any,
    *,
    control: rx.Component | None = None,
    **props: Any,
) -> rx.Component:
    """A labelled input with the API's error for ``name`` under it."""
    error = errors.get(name, "")
    control = control or rx.input(
        id=name, name=name, size="3", width="100%", aria_invalid=error != "", **props
    )
    return rx.box(
        rx.el.label(label, html_for=name, class_name="field-label"),
        control,
        error_text(error, data_testid=f"error-{name}"),
        width="100%",
    )


def form_error(message: Any) -> rx.Component:
    return rx.cond(
        message != "",
        rx.callout(message, icon="triangle_alert", color_scheme="red", role="alert"),
    )


def spinner_button(text: str, busy: Any, **props: Any) -> rx.Component:
    return rx.button(
        rx.cond(busy, rx.spinner(size="2"), rx.fragment()),
        text,
        disabled=busy,
        size="3",
        **props,
    )


def labelled(label: str, control: rx.Component) -> rx.Component:
    """A filter's control with its label above it."""
    return rx.box(rx.el.label(label, class_name="field-label"), control)


def kind_select(default_value: Any, *, everything: str = "", **trigger: Any) -> rx.Component:
    """The kinds of event (``kind`` in a form); ``everything`` labels an "all" choice."""
    choices = [rx.select.item(label, value=value) for value, label in KINDS.items()]
    if everything:
        choices.insert(0, rx.select.item(everything, value="all"))
    return rx.select.root(
        rx.select.trigger(width="100%", **trigger),
        rx.select.content(*choices),
        name="kind",
        default_value=default_value,
    )


def browse_header(title: str, *, other: str, other_href: str) -> rx.Component:
    """A browsing page's title, a link to the other way to browse, and "Sell a ticket"."""
    return rx.hstack(
        rx.heading(title, size="7"),
        rx.hstack(
            rx.link(rx.button(other, variant="soft"), href=other_href),
            rx.link(rx.button(rx.icon("plus"), "Sell a ticket"), href="/sell"),
            spacing="3",
        ),
        justify="between",
        align="center",
        width="100%",
        margin_bottom="1rem",
        wrap="wrap",
    )

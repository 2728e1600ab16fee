"""Sign up, sign in, the profile, my orders and my tickets (the wallet, my listings)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ticketing_ui.components.layout import (
    field,
    form_error,
    loading_or,
    page,
    spinner_button,
    split_row,
)
from ticketing_ui.components.tickets import status_badge
from ticketing_ui.components.wallet import incoming_transfers, wallet_card
from ticketing_ui.components.widgets import countdown, local_time
from ticketing_ui.state.account import AuthState, ProfileState
from ticketing_ui.state.orders import ListingsState, OrdersState
from ticketing_ui.state.wallet import WalletState
from ticketing_ui.wallet import HIDDEN_WHILE_FOR_SALE


def narrow_card(*children: rx.Component) -> rx.Component:
    return rx.card(rx.vstack(*children, spacing="4", width="100%"), max_width="440px",
                   width="100%")  # fmt: skip


def sign_in_page() -> rx.Component:
    return page(
        narrow_card(
            rx.form(
                rx.vstack(
                    form_error(AuthState.error),
                    field("Email", "email", AuthState.errors, type="email", required=True,
                          auto_complete="email"),
                    field("Password", "password", AuthState.errors, type="password",
                          required=True, auto_complete="current-password"),
                    spinner_button("Sign in", AuthState.busy, type="submit", width="100%",
                                   data_testid="signin-submit"),
                    spacing="4",
                    width="100%",
                ),
                on_submit=AuthState.sign_in,
            ),
            rx.text("New here? ", rx.link("Create an account", href="/signup")),
        ),
        title="Sign in",
    )  # fmt: skip


def sign_up_page() -> rx.Component:
    return page(
        narrow_card(
            rx.form(
                rx.vstack(
                    form_error(AuthState.error),
                    field("Email", "email", AuthState.errors, type="email", required=True,
                          auto_complete="email"),
                    field("Name shown to buyers (optional)", "displayName", AuthState.errors,
                          max_length=60),
                    field("Password (8 characters or more)", "password", AuthState.errors,
                          type="password", required=True, auto_complete="new-password"),
                    spinner_button("Create account", AuthState.busy, type="submit",
                                   width="100%", data_testid="signup-submit"),
                    spacing="4",
                    width="100%",
                ),
                on_submit=AuthState.sign_up,
            ),
            rx.text("Already have an account? ", rx.link("Sign in", href="/signin")),
        ),
        title="Create your account",
    )  # fmt: skip


def profile_page() -> rx.Component:
    return page(
        narrow_card(
            rx.text("Signed in as ", rx.text.strong(ProfileState.user_email)),
            rx.form(
                rx.vstack(
                    form_error(ProfileState.error),
                    field("Display name", "displayName", ProfileState.errors,
                          default_value=ProfileState.user_name, max_length=60),
                    rx.divider(),
                    rx.text("Change password", weight="medium"),
                    field("Current password", "currentPassword", ProfileState.errors,
                          type="password", auto_complete="current-password"),
                    field("New password", "password", ProfileState.errors, type="password",
                          auto_complete="new-password"),
                    spinner_button("Save", ProfileState.busy, type="submit"),
                    rx.cond(ProfileState.saved != "",
                            rx.text(ProfileState.saved, color_scheme="green", role="status")),
                    spacing="4",
                    width="100%",
                ),
                on_submit=ProfileState.save,
            ),
        ),
        title="Profile",
    )  # fmt: skip


def order_row(order: Any) -> rx.Component:  # an OrderView Var
    return rx.card(
        split_row(
            rx.vstack(
                rx.text(order.title, weight="bold"),
                rx.text(order.event_name, " · ", local_time(order.starts_at, order.starts_label),
                        color_scheme="gray", size="2"),
                spacing="1",
            ),
            rx.hstack(
                rx.text(order.price_label, weight="bold"),
                rx.badge(order.status_label, data_testid="order-status"),
                rx.cond(
                    order.status == "created",
                    rx.link(
                        rx.button(
                            "Pay · ",
                            countdown(order.expires_at_ms, OrdersState.server_now_ms),
                            size="2",
                        ),
                        href="/checkout/" + order.id,
                    ),
                ),
                align="center",
                wrap="wrap",
            ),
        ),
        width="100%",
        data_testid="order-row",
    )  # fmt: skip


def orders_page() -> rx.Component:
    return page(
        form_error(OrdersState.error),
        loading_or(
            OrdersState.loading,
            rx.cond(
                OrdersState.orders.length() > 0,
                rx.vstack(rx.foreach(OrdersState.orders, order_row), width="100%"),
                rx.text("No orders yet. ", rx.link("Find a ticket", href="/"), "."),
            ),
        ),
        title="My orders",
    )


def listing_row(ticket: Any) -> rx.Component:  # a TicketView Var
    return rx.card(
        split_row(
            rx.vstack(
                rx.link(rx.text(ticket.title, weight="bold"), href="/tickets/" + ticket.id),
                rx.text(ticket.event_name, " · ", local_time(ticket.starts_at, ticket.starts_label),
                        color_scheme="gray", size="2"),
                rx.text("Your price ", ticket.list_price_label, " · you receive ",
                        ticket.proceeds_label, color_scheme="gray", size="2",
                        data_testid="listing-proceeds"),
                rx.cond((ticket.status == "available") | (ticket.status == "locked"),
                        rx.text(HIDDEN_WHILE_FOR_SALE, color_scheme="gray", size="2",
                                data_testid="code-hidden")),
                spacing="1",
            ),
            rx.hstack(
                rx.text(ticket.price_label, weight="bold"),
                status_badge(ticket, ListingsState.server_now_ms),
                align="center",
                wrap="wrap",
            ),
        ),
        width="100%",
        data_testid="listing-row",
    )  # fmt: skip


def listings_page() -> rx.Component:
    """My tickets: the wallet (the tickets I hold, with their door codes), the tickets
    friends give me, and my listings."""
    return page(
        form_error(ListingsState.error),
        form_error(WalletState.error),
        form_error(WalletState.transfer_error),
        loading_or(
            ListingsState.loading | WalletState.loading,
            rx.vstack(
                incoming_transfers(),
                rx.heading("Tickets I own", size="5"),
                rx.cond(
                    WalletState.cards.length() > 0,
                    rx.vstack(rx.foreach(WalletState.cards, wallet_card), width="100%"),
                    rx.text("Tickets you buy appear here.", color_scheme="gray"),
                ),
                rx.heading("Tickets I'm selling", size="5", margin_top="1rem"),
                rx.cond(
                    ListingsState.selling.length() > 0,
                    rx.vstack(rx.foreach(ListingsState.selling, listing_row), width="100%"),
                    rx.text("Nothing listed yet. ", rx.link("Sell a ticket", href="/sell"), "."),
                ),
                width="100%",
                spacing="3",
            ),
        ),
        title="My tickets",
    )  # fmt: skip

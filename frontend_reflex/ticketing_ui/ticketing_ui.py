"""The Ticketing web app: every page, its route and what it loads."""

from __future__ import annotations

import reflex as rx

from ticketing_ui.pages.account import (
    listings_page,
    orders_page,
    profile_page,
    sign_in_page,
    sign_up_page,
)
from ticketing_ui.pages.checkout import checkout_page
from ticketing_ui.pages.market import market_page
from ticketing_ui.pages.sell import sell_page
from ticketing_ui.pages.ticket import ticket_page
from ticketing_ui.state.account import AuthState, ProfileState
from ticketing_ui.state.checkout import CheckoutState
from ticketing_ui.state.live import LiveState
from ticketing_ui.state.market import MarketState
from ticketing_ui.state.orders import ListingsState, OrdersState
from ticketing_ui.state.sell import SellState
from ticketing_ui.state.session import SessionState
from ticketing_ui.state.ticket import TicketState

app = rx.App(
    stylesheets=["/styles.css"],
    head_components=[rx.el.meta(name="viewport", content="width=device-width, initial-scale=1")],
)

live = LiveState.follow
app.add_page(
    ticket_page,
    route="/tickets/[ticket_id]",
    title="Ticket · Ticketing",
    on_load=[TicketState.load, live],
)
app.add_page(
    checkout_page,
    route="/checkout/[order_id]",
    title="Checkout · Ticketing",
    on_load=[CheckoutState.load, live],
)
app.add_page(
    market_page,
    route="/",
    title="Ticketing — resale tickets, live",
    on_load=[MarketState.load, live],
)
app.add_page(sell_page, route="/sell", title="Sell a ticket · Ticketing", on_load=[SellState.load])
app.add_page(
    orders_page, route="/orders", title="My orders · Ticketing", on_load=[OrdersState.load, live]
)
app.add_page(
    listings_page,
    route="/listings",
    title="My tickets · Ticketing",
    on_load=[ListingsState.load, live],
)
app.add_page(
    sign_in_page,
    route="/signin",
    title="Sign in · Ticketing",
    on_load=[SessionState.load_session, AuthState.reset_form],
)
app.add_page(
    sign_up_page,
    route="/signup",
    title="Sign up · Ticketing",
    on_load=[SessionState.load_session, AuthState.reset_form],
)
app.add_page(profile_page, route="/profile", title="Profile · Ticketing",
             on_load=[ProfileState.load])  # fmt: skip

"""The web app's one route table: each page's path, title, what it loads, and the state
that applies live messages while it is open (a page with one follows ``/api/live``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import reflex as rx

from ticketing_ui.pages.account import (
    listings_page,
    orders_page,
    profile_page,
    sign_in_page,
    sign_up_page,
)
from ticketing_ui.pages.catalogue import catalogue_page
from ticketing_ui.pages.checkout import checkout_page
from ticketing_ui.pages.event import event_page
from ticketing_ui.pages.mails import mails_page
from ticketing_ui.pages.market import market_page
from ticketing_ui.pages.sales import payouts_page, sales_page
from ticketing_ui.pages.scan import scan_page
from ticketing_ui.pages.sell import sell_page
from ticketing_ui.pages.ticket import ticket_page
from ticketing_ui.pages.wallet import code_page
from ticketing_ui.state.account import AuthState, ProfileState
from ticketing_ui.state.catalogue import CatalogueState
from ticketing_ui.state.checkout import CheckoutState
from ticketing_ui.state.event import EventState
from ticketing_ui.state.mails import MailsState
from ticketing_ui.state.market import MarketState
from ticketing_ui.state.orders import ListingsState, OrdersState
from ticketing_ui.state.sales import PayoutsReturnState, SalesState
from ticketing_ui.state.scan import ScanState
from ticketing_ui.state.sell import SellState
from ticketing_ui.state.session import SessionState
from ticketing_ui.state.ticket import TicketState
from ticketing_ui.state.wallet import CodePageState, WalletState


@dataclass(frozen=True)
class Page:
    route: str  # Reflex's form: "/tickets/[ticket_id]"
    component: Callable[[], rx.Component]
    title: str
    on_load: Sequence[Any] = ()
    live: type[rx.State] | None = None  # has ``apply_live(message)``

    def matches(self, path: str) -> bool:
        pattern = re.sub(r"\[[^/\]]+\]", "[^/]+", self.route.rstrip("/"))
        return re.fullmatch(pattern + "/?", path) is not None


PAGES: tuple[Page, ...] = (
    Page("/", catalogue_page, "Ticketing — upcoming events, resale tickets",
         (CatalogueState.load,), live=CatalogueState),
    Page("/events/[event_id]", event_page, "Event · Ticketing",
         (EventState.load,), live=EventState),
    Page("/tickets", market_page, "All tickets on sale · Ticketing",
         (MarketState.load,), live=MarketState),
    Page("/tickets/[ticket_id]", ticket_page, "Ticket · Ticketing",
         (TicketState.load,), live=TicketState),
    # Its owner's door code, large, to print.
    Page("/tickets/[ticket_id]/code", code_page, "Ticket code · Ticketing",
         (CodePageState.load,)),
    Page("/checkout/[order_id]", checkout_page, "Checkout · Ticketing",
         (CheckoutState.load,), live=CheckoutState),
    Page("/sell", sell_page, "Sell a ticket · Ticketing", (SellState.load,)),
    Page("/orders", orders_page, "My orders · Ticketing", (OrdersState.load,), live=OrdersState),
    # The wallet (door codes, transfers) after the tickets themselves; new codes come on ``me``.
    Page("/listings", listings_page, "My tickets · Ticketing",
         (ListingsState.load, WalletState.load), live=ListingsState),
    Page("/sales", sales_page, "My sales · Ticketing", (SalesState.load,)),
    # Where Stripe's onboarding of the payout account returns to (``?onboarding=done``).
    Page("/sales/payouts", payouts_page, "Payout account · Ticketing",
         (PayoutsReturnState.load,)),
    # The door: an event's scanners check codes (offline too, from the scanner kit).
    Page("/scan", scan_page, "Door scanner · Ticketing", (ScanState.load,)),
    Page("/scan/[event_id]", scan_page, "Door scanner · Ticketing", (ScanState.load,)),
    # Development only: the mails the local run's mail sink caught (``MAIL_SINK_URL``).
    Page("/dev/mails", mails_page, "Mails (development) · Ticketing", (MailsState.load,)),
    Page("/signin", sign_in_page, "Sign in · Ticketing",
         (SessionState.load_session, AuthState.reset_form)),
    Page("/signup", sign_up_page, "Sign up · Ticketing",
         (SessionState.load_session, AuthState.reset_form)),
    Page("/profile", profile_page, "Profile · Ticketing", (ProfileState.load,)),
)  # fmt: skip


def page_for(path: str) -> Page | None:
    return next((page for page in PAGES if page.matches(path or "/")), None)

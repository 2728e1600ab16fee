"""The web app's route table: one place for each page's path and its live state."""

from __future__ import annotations

import pytest

from ticketing_ui.routes import PAGES, page_for
from ticketing_ui.state.catalogue import CatalogueState
from ticketing_ui.state.checkout import CheckoutState
from ticketing_ui.state.event import EventState
from ticketing_ui.state.market import MarketState
from ticketing_ui.state.orders import ListingsState, OrdersState
from ticketing_ui.state.ticket import TicketState

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("path", "live"),
    [
        ("/", CatalogueState),
        ("", CatalogueState),
        ("/tickets", MarketState),
        ("/tickets/", MarketState),
        ("/events/64b000000000000000000003", EventState),
        ("/tickets/64b000000000000000000001", TicketState),
        ("/tickets/64b000000000000000000001/", TicketState),
        ("/checkout/64b000000000000000000002", CheckoutState),
        ("/orders", OrdersState),
        ("/listings", ListingsState),
    ],
)
def test_a_path_finds_the_state_that_applies_its_live_messages(path: str, live: type) -> None:
    page = page_for(path)
    assert page is not None
    assert page.live is live


@pytest.mark.parametrize("path", ["/sell", "/signin", "/signup", "/profile"])
def test_pages_without_live_state_do_not_follow(path: str) -> None:
    page = page_for(path)
    assert page is not None
    assert page.live is None


@pytest.mark.parametrize("path", ["/events", "/events/a/b", "/tickets/a/b", "/nowhere", "/ordersx"])
def test_unknown_paths_have_no_page(path: str) -> None:
    assert page_for(path) is None


def test_every_route_is_declared_once() -> None:
    routes = [page.route for page in PAGES]
    assert len(routes) == len(set(routes))

"""The events catalogue in real browsers, against the stack the README's run command
starts: a seller lists tickets for a new event with the sell form (then for the same event
picked by searching), a buyer finds the event on the home page, opens its page and starts
buying its cheapest listing, and another visitor on the same event page sees the lock and
the release live, without a reload — the listing, and the header's counts and from-price
as the event's live topic tells them. A third visitor sees the event's card on the home
page change live, then its page filtered to another section still tell the event's true
counts and from-price."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.support.browser import Shots, person

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LIVE_MS = 15_000  # how long a live update may take to show on the other screen
TICKET_URL = re.compile(r"/tickets/([0-9a-f]{24})/?$")


@contextmanager
def visitor(browser: Browser, base_url: str) -> Iterator[Page]:
    """A browser profile that never signs in."""
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def listing(page: Page, ticket_id: str) -> Locator:
    return page.locator(f'[data-testid="listing"][data-ticket-id="{ticket_id}"]')


def submit_listing(page: Page, title: str, section: str, price: str) -> str:
    """Fills the listing's own fields, lists it and returns its id."""
    page.locator("#title").fill(title)
    page.locator("#section").fill(section)
    page.locator("#price").fill(price)
    page.get_by_test_id("sell-submit").click()
    page.wait_for_url(TICKET_URL)
    return page.url.rstrip("/").rsplit("/", 1)[-1]


def test_a_buyer_finds_an_event_and_a_lock_on_its_listing_is_seen_live(
    browser: Browser, web_url: str, shots: Shots
) -> None:
    name = f"Harbour Lights {datetime.now():%H%M%S%f}"
    starts = datetime.now() + timedelta(days=30)
    with (
        person(browser, web_url, "seller") as seller,
        person(browser, web_url, "buyer") as buyer,
        visitor(browser, web_url) as watcher,
        visitor(browser, web_url) as lobby,
    ):
        # The seller searches the catalogue, finds nothing, and adds the event.
        seller.goto("/sell")
        seller.locator("#eventSearch").fill(name)
        expect(seller.get_by_test_id("no-event-match")).to_be_visible()
        seller.locator("#eventName").fill(name)
        seller.locator("#kind").click()
        seller.get_by_role("option", name="Festival").click()
        seller.locator("#venue").fill("Chromium Arena")
        seller.locator("#city").fill("Lisbon")
        seller.locator("#startsAt").fill(starts.strftime("%Y-%m-%dT20:00"))
        seller.locator("#performers").fill("The Browser Band, Headless")
        shots.take(seller, "seller-new-event")
        dear = submit_listing(seller, "Two seats near the stage", "C", "55.00")
        event_link = seller.get_by_test_id("event-link")
        expect(event_link).to_have_text(name)
        href = event_link.get_attribute("href") or ""
        assert re.fullmatch(r"/events/[0-9a-f]{24}", href), href
        shots.take(seller, "seller-listed-for-new-event")

        # A second ticket for the same event, picked by typing part of its name.
        seller.goto("/sell")
        seller.locator("#eventSearch").press_sequentially(name[-12:], delay=20)
        option = seller.get_by_test_id("event-option").filter(has_text=name)
        expect(option).to_be_visible()
        expect(option).to_contain_text("Chromium Arena, Lisbon")
        shots.take(seller, "seller-search-finds-event")
        option.click()
        expect(seller.get_by_test_id("chosen-event")).to_contain_text(name)
        expect(seller.locator("#eventName")).to_have_count(0)  # no new event to type
        cheap = submit_listing(seller, "Standing, early entry", "A", "45.00")
        expect(seller.get_by_test_id("event-link")).to_have_attribute("href", href)

        # The buyer finds the event on the home page by searching a performer.
        buyer.goto("/")
        expect(buyer.get_by_role("heading", name="Upcoming events")).to_be_visible()
        buyer.get_by_test_id("event-search").fill("browser band")
        buyer.get_by_test_id("apply-filters").click()
        card = buyer.get_by_test_id("event-card").filter(has_text=name)
        expect(card).to_be_visible()
        expect(card).to_contain_text("The Browser Band, Headless")
        expect(card).to_contain_text("Chromium Arena, Lisbon")
        expect(card).to_contain_text("Festival")
        shots.take(buyer, "buyer-finds-event")

        card.click()
        buyer.wait_for_url(re.compile(re.escape(href) + "/?$"))
        expect(buyer.get_by_test_id("event-name")).to_have_text(name)
        expect(buyer.get_by_test_id("event-place")).to_have_text("Chromium Arena, Lisbon")
        expect(buyer.get_by_test_id("availability")).to_have_text("2 tickets from $51.00")
        listings = buyer.get_by_test_id("listing")
        expect(listings).to_have_count(2)
        expect(listings.nth(0)).to_have_attribute("data-ticket-id", cheap)  # cheapest first
        expect(listings.nth(1)).to_have_attribute("data-ticket-id", dear)
        shots.take(buyer, "buyer-event-page")

        # The section filter keeps only that section's listings.
        buyer.get_by_label("Section").fill("c")
        buyer.get_by_test_id("apply-listing-filters").click()
        expect(listings).to_have_count(1)
        expect(listing(buyer, dear)).to_be_visible()
        buyer.get_by_role("button", name="Clear").click()
        expect(listings).to_have_count(2)

        # Someone else watches the same event page, signed out.
        watcher.goto(href)
        expect(listing(watcher, cheap)).to_have_attribute("data-status", "available")
        expect(watcher.get_by_test_id("availability")).to_have_text("2 tickets from $51.00")
        expect(watcher.get_by_test_id("on-hold")).to_have_count(0)
        shots.take(watcher, "watcher-before")

        # A third visitor has the event's card on the home page.
        lobby.goto("/")
        lobby.get_by_test_id("event-search").fill(name)
        lobby.get_by_test_id("apply-filters").click()
        lobby_card = lobby.get_by_test_id("event-card").filter(has_text=name)
        expect(lobby_card.get_by_test_id("availability")).to_have_text("2 tickets from $51.00")

        listing(buyer, cheap).get_by_test_id("listing-buy").click()
        buyer.wait_for_url(re.compile(r"/checkout/[0-9a-f]{24}/?$"))
        checkout = buyer.url
        expect(buyer.get_by_test_id("pay-button")).to_be_enabled()
        expect(buyer.get_by_test_id("countdown")).to_have_text(re.compile(r"^0:[0-5]\d$"))
        expect(buyer.get_by_test_id("checkout")).to_contain_text("Standing, early entry")
        shots.take(buyer, "buyer-checkout")

        # The watcher's page shows the lock live, with a countdown ticking in the browser.
        held = listing(watcher, cheap)
        expect(held).to_have_attribute("data-status", "locked", timeout=LIVE_MS)
        countdown = held.get_by_test_id("countdown")
        first = countdown.inner_text()
        assert re.fullmatch(r"\d+:\d\d", first), first
        expect(countdown).not_to_have_text(first, timeout=5_000)
        expect(held.get_by_test_id("listing-buy")).to_have_count(0)
        # The header as the event's availability tells it: one on hold, the dearer left.
        expect(watcher.get_by_test_id("on-hold")).to_have_text("· 1 on hold")
        expect(watcher.get_by_test_id("availability")).to_have_text("1 ticket from $62.00")
        expect(listing(watcher, dear)).to_have_attribute("data-status", "available")
        shots.take(watcher, "watcher-sees-lock-countdown")

        # The home page's card changed too, live; the event's page filtered to the other
        # section still tells the whole event's counts and from-price.
        expect(lobby_card.get_by_test_id("availability")).to_have_text(
            "1 ticket from $62.00", timeout=LIVE_MS
        )
        shots.take(lobby, "lobby-card-live")
        lobby_card.click()
        lobby.wait_for_url(re.compile(re.escape(href) + "/?$"))
        lobby.get_by_label("Section").fill("c")
        lobby.get_by_test_id("apply-listing-filters").click()
        expect(lobby.get_by_test_id("listing")).to_have_count(1)
        expect(listing(lobby, dear)).to_be_visible()
        expect(lobby.get_by_test_id("availability")).to_have_text("1 ticket from $62.00")
        expect(lobby.get_by_test_id("on-hold")).to_have_text("· 1 on hold")

        # The buyer sees their hold on the event page too.
        buyer.goto(href)
        expect(listing(buyer, cheap)).to_have_attribute("data-status", "locked")
        expect(listing(buyer, cheap).get_by_test_id("countdown")).to_be_visible()
        shots.take(buyer, "buyer-sees-own-hold")

        # The buyer lets it go: the watcher sees it available again, live.
        buyer.goto(checkout)
        buyer.get_by_test_id("cancel-order").click()
        expect(buyer.get_by_test_id("checkout-outcome")).to_contain_text("cancelled")
        expect(listing(watcher, cheap)).to_have_attribute(
            "data-status", "available", timeout=LIVE_MS
        )
        expect(watcher.get_by_test_id("availability")).to_have_text("2 tickets from $51.00")
        expect(watcher.get_by_test_id("on-hold")).to_have_count(0)
        shots.take(watcher, "watcher-sees-release")
        # The filtered page does not show the released listing, yet its header has its
        # price back: the from-price is the event's, not the listings shown.
        expect(lobby.get_by_test_id("availability")).to_have_text(
            "2 tickets from $51.00", timeout=LIVE_MS
        )
        expect(lobby.get_by_test_id("on-hold")).to_have_count(0)
        expect(lobby.get_by_test_id("listing")).to_have_count(1)
        shots.take(lobby, "filtered-page-sees-release")

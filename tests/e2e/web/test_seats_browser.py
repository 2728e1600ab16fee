"""Seats sold together, in real browsers against the stack the README's run command
starts: a seller lists four seats side by side, never to leave a single seat; a buyer
picks two of them on the event page (the picker offers only what the rule allows), and the
checkout holds both with one countdown and one total; another visitor on the same event
page sees the pair held, then sold, live — the listing's free count and the header."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.web.test_events_browser import visitor
from tests.support.browser import VISA, Shots, enter_card, person

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LIVE_MS = 15_000  # how long a live update may take to show on the other screen
EVENT_URL = re.compile(r"/events/([0-9a-f]{24})/?$")
CHECKOUT_URL = re.compile(r"/checkout/[0-9a-f]{24}/?$")
EN_DASH = "\u2013"


def seats_listing(page: Page) -> Locator:
    return page.locator('[data-testid="listing"][data-listing-id]')


def quantities_offered(page: Page, listing: Locator) -> list[str]:
    """Opens the listing's quantity picker and reads its choices (then closes it)."""
    listing.get_by_test_id("seats-quantity").click()
    options = page.get_by_role("option")
    expect(options.first).to_be_visible()
    offered = [text.strip() for text in options.all_inner_texts()]
    page.keyboard.press("Escape")
    return offered


def test_two_of_four_seats_are_held_paid_and_sold_together_and_seen_live(
    browser: Browser, web_url: str, shots: Shots
) -> None:
    name = f"Side by Side {datetime.now():%H%M%S%f}"
    starts = datetime.now() + timedelta(days=30)
    with (
        person(browser, web_url, "seller") as seller,
        person(browser, web_url, "buyer") as buyer,
        visitor(browser, web_url) as watcher,
    ):
        # The seller lists seats 11 to 14 of section C, row 4, for a new event.
        seller.goto("/sell")
        seller.locator("#eventName").fill(name)
        seller.locator("#venue").fill("Chromium Arena")
        seller.locator("#city").fill("Lisbon")
        seller.locator("#startsAt").fill(starts.strftime("%Y-%m-%dT20:00"))
        seller.locator("#title").fill("Block C, together")
        seller.get_by_test_id("seats-together").click()
        expect(seller.locator("#seat")).to_have_count(0)  # the seats, not one seat
        seller.locator("#section").fill("C")
        seller.locator("#row").fill("4")
        seller.locator("#seats").fill("11-14")
        seller.get_by_text("Never leave a single seat").click()
        expect(seller.get_by_test_id("split-explained")).to_contain_text("single seat")
        seller.locator("#price").fill("30.00")
        shots.take(seller, "seller-lists-four-seats")
        seller.get_by_test_id("sell-submit").click()
        seller.wait_for_url(EVENT_URL)
        href = seller.url.removeprefix(web_url).rstrip("/")
        listed = seats_listing(seller)
        expect(listed).to_have_count(1)
        expect(listed.get_by_test_id("place")).to_have_text(
            f"Section C, row 4 · seats 11{EN_DASH}14"
        )
        expect(listed.get_by_role("button", name="Your listing")).to_be_visible()
        shots.take(seller, "seller-sees-listing")

        # Someone watches the event page, signed out.
        watcher.goto(href)
        watched = seats_listing(watcher)
        expect(watched.get_by_test_id("seats-free")).to_have_text("4 available")
        expect(watcher.get_by_test_id("availability")).to_have_text("4 tickets from $34.50")
        expect(watcher.get_by_test_id("on-hold")).to_have_count(0)
        shots.take(watcher, "watcher-before")

        # The buyer sees one row for the four seats, its rule, and the quantities it allows.
        buyer.goto(href)
        row = seats_listing(buyer)
        expect(row).to_have_count(1)
        expect(row.get_by_test_id("seats-free")).to_have_text("4 available")
        expect(row.get_by_test_id("price")).to_have_text("$34.50 each")
        expect(row.get_by_test_id("split-rule")).to_contain_text("single seat")
        assert quantities_offered(buyer, row) == ["1", "2", "4"]  # 3 would leave one alone
        row.get_by_test_id("seats-quantity").click()
        buyer.get_by_role("option", name="2", exact=True).click()
        expect(row.get_by_test_id("seats-quantity")).to_have_text("2")
        shots.take(buyer, "buyer-picks-two-seats")
        row.get_by_test_id("seats-buy").click()
        buyer.wait_for_url(CHECKOUT_URL)

        # The checkout holds both seats, for their total, with one countdown.
        expect(buyer.get_by_test_id("order-seat-count")).to_have_text("2 seats together")
        expect(buyer.get_by_test_id("order-seats")).to_have_text("Section C, row 4 · seats 11, 12")
        expect(buyer.get_by_test_id("order-price")).to_have_text("$69.00")
        expect(buyer.get_by_test_id("countdown")).to_have_count(1)
        expect(buyer.get_by_test_id("countdown")).to_have_text(re.compile(r"^0:[0-5]\d$"))
        expect(buyer.get_by_test_id("pay-button")).to_be_enabled()
        shots.take(buyer, "buyer-checkout-two-seats")

        # The watcher sees the pair held, live: two left, and the rule keeps them together.
        expect(watched.get_by_test_id("seats-free")).to_have_text("2 available", timeout=LIVE_MS)
        expect(watched.get_by_test_id("seats-held")).to_have_text("2 on hold")
        expect(watched).to_have_attribute("data-free", "2")
        expect(watcher.get_by_test_id("on-hold")).to_have_text("· 2 on hold")
        expect(watcher.get_by_test_id("availability")).to_have_text("2 tickets from $34.50")
        assert quantities_offered(watcher, watched) == ["2"]  # 1 would leave one alone
        shots.take(watcher, "watcher-sees-pair-held")

        # The buyer pays once for both: sold.
        enter_card(buyer, VISA)
        buyer.get_by_test_id("pay-button").click()
        expect(buyer.get_by_test_id("checkout-outcome")).to_contain_text("Paid", timeout=LIVE_MS)
        expect(buyer.get_by_test_id("seats-sold-to-you")).to_contain_text("seats 11, 12")
        expect(buyer.get_by_test_id("order-status")).to_have_text("Paid")
        shots.take(buyer, "buyer-paid")

        # The watcher sees them sold, live; the other two are still for sale.
        expect(watched.get_by_test_id("seats-sold")).to_have_text("2 sold", timeout=LIVE_MS)
        expect(watched.get_by_test_id("seats-held")).to_have_count(0)
        expect(watched.get_by_test_id("seats-free")).to_have_text("2 available")
        expect(watched.get_by_role("button", name="Your listing")).to_have_count(0)
        assert quantities_offered(watcher, watched) == ["2"]
        expect(watcher.get_by_test_id("on-hold")).to_have_count(0)
        shots.take(watcher, "watcher-sees-pair-sold")

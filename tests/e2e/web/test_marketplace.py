"""The marketplace in two browsers at once — a seller and a buyer — against the stack the
README's run command starts: listings, locks with ticking countdowns, refused edits,
card payments (paid, declined) and locks that run out, all seen live without reloads."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.e2e.web.conftest import LOCK_TTL_SECONDS
from tests.support.api import PASSWORD
from tests.support.browser import (
    DECLINED,
    THREE_D_SECURE,
    VISA,
    Shots,
    card,
    email_of,
    enter_card,
    list_ticket,
    person,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LIVE_MS = 15_000  # how long a live update may take to show on the other screen
EXPIRY_MS = (LOCK_TTL_SECONDS + 20) * 1000


def buy(page: Page, ticket_id: str) -> str:
    """Opens the ticket and starts the purchase; returns the order id (checkout URL)."""
    page.goto(f"/tickets/{ticket_id}")
    page.get_by_test_id("buy-button").click()
    page.wait_for_url(re.compile(r"/checkout/[0-9a-f]{24}/?$"))
    expect(page.get_by_test_id("pay-button")).to_be_enabled()
    return page.url.rstrip("/").rsplit("/", 1)[-1]


def status_of(page: Page) -> str:
    return page.get_by_test_id("ticket-detail").get_attribute("data-status") or ""


def test_listing_locking_and_paying_are_seen_live_by_both(
    browser: Browser, web_url: str, shots: Shots
) -> None:
    with person(browser, web_url, "buyer") as buyer, person(browser, web_url, "seller") as seller:
        buyer.goto("/tickets")
        expect(buyer.get_by_text("Tickets on sale")).to_be_visible()
        shots.take(buyer, "buyer-market-before")

        ticket_id = list_ticket(seller, "Live listing in the browser", price="80.00")
        shots.take(seller, "seller-listed")

        listed = card(buyer, ticket_id)  # appears on the buyer's market without a reload
        expect(listed).to_be_visible(timeout=LIVE_MS)
        expect(listed).to_contain_text("$89.50")
        expect(listed).to_contain_text("Available")
        shots.take(buyer, "buyer-sees-new-listing")

        buy(buyer, ticket_id)
        expect(buyer.get_by_test_id("countdown")).to_have_text(
            re.compile(r"^(15|14):\d\d$|^0:[0-5]\d$")
        )
        shots.take(buyer, "buyer-checkout")

        # The seller's page turns locked, with a countdown that ticks in the browser.
        expect(seller.get_by_test_id("ticket-detail")).to_have_attribute(
            "data-status", "locked", timeout=LIVE_MS
        )
        countdown = seller.get_by_test_id("countdown")
        first = countdown.inner_text()
        assert re.fullmatch(r"\d+:\d\d", first), first
        expect(countdown).not_to_have_text(first, timeout=5_000)
        expect(seller.get_by_test_id("locked-explanation")).to_be_visible()
        shots.take(seller, "seller-sees-lock-countdown")

        # The price cannot change while the buyer holds the lock.
        seller.locator("#price").fill("95")
        seller.get_by_test_id("save-price").click()
        expect(seller.get_by_test_id("price-error")).to_contain_text(re.compile("lock", re.I))
        expect(seller.get_by_test_id("price")).to_have_text("$89.50")
        shots.take(seller, "seller-edit-refused")

        enter_card(buyer, VISA)
        buyer.get_by_test_id("pay-button").click()
        expect(buyer.get_by_test_id("checkout-outcome")).to_contain_text("Paid", timeout=LIVE_MS)
        shots.take(buyer, "buyer-paid")

        expect(seller.get_by_test_id("ticket-detail")).to_have_attribute(
            "data-status", "sold", timeout=LIVE_MS
        )
        shots.take(seller, "seller-sees-sold")

        buyer.goto("/listings")
        owned = buyer.get_by_test_id("owned-row")
        expect(owned).to_contain_text("Live listing in the browser")
        shots.take(buyer, "buyer-owns-ticket")

        # The new owner sells it on, and the old seller's market shows it again.
        owned.get_by_test_id("relist").click()
        owned.get_by_label("Resale price").fill("99")
        owned.get_by_role("button", name="List again").click()
        expect(buyer.get_by_test_id("ticket-detail")).to_have_attribute("data-status", "available")
        expect(buyer.get_by_test_id("price")).to_have_text("$110.40")
        seller.goto("/tickets")
        expect(card(seller, ticket_id)).to_contain_text("$110.40")
        shots.take(seller, "seller-sees-resale")


def test_an_unpaid_lock_runs_out_and_both_see_the_ticket_available(
    browser: Browser, web_url: str, shots: Shots
) -> None:
    with person(browser, web_url, "seller") as seller, person(browser, web_url, "buyer") as buyer:
        ticket_id = list_ticket(seller, "Nobody pays for this one")
        buy(buyer, ticket_id)
        expect(seller.get_by_test_id("ticket-detail")).to_have_attribute(
            "data-status", "locked", timeout=LIVE_MS
        )
        shots.take(seller, "seller-sees-lock")
        shots.take(buyer, "buyer-checkout-counting-down")

        expect(buyer.get_by_test_id("checkout-outcome")).to_contain_text(
            "Time ran out", timeout=EXPIRY_MS
        )
        expect(buyer.get_by_test_id("checkout")).to_contain_text("Nobody pays for this one")
        shots.take(buyer, "buyer-expired")
        expect(seller.get_by_test_id("ticket-detail")).to_have_attribute(
            "data-status", "available", timeout=LIVE_MS
        )
        shots.take(seller, "seller-sees-available-again")

        buyer.goto("/tickets")
        expect(card(buyer, ticket_id)).to_contain_text("Available")
        shots.take(buyer, "buyer-market-available")


def test_a_declined_card_cancels_the_order_and_unlocks_the_ticket(
    browser: Browser, web_url: str, shots: Shots
) -> None:
    with person(browser, web_url, "seller") as seller, person(browser, web_url, "buyer") as buyer:
        ticket_id = list_ticket(seller, "Declined card test", price="42.50")
        buy(buyer, ticket_id)
        expect(seller.get_by_test_id("ticket-detail")).to_have_attribute(
            "data-status", "locked", timeout=LIVE_MS
        )

        enter_card(buyer, DECLINED)
        buyer.get_by_test_id("pay-button").click()
        expect(buyer.get_by_test_id("checkout-outcome")).to_contain_text(
            "declined", timeout=LIVE_MS
        )
        expect(buyer.get_by_test_id("order-status")).to_have_text("Card declined")
        shots.take(buyer, "buyer-declined")

        expect(seller.get_by_test_id("ticket-detail")).to_have_attribute(
            "data-status", "available", timeout=LIVE_MS
        )
        shots.take(seller, "seller-sees-available-again")
        buyer.goto("/orders")
        expect(buyer.get_by_test_id("order-row").first).to_contain_text("Card declined")
        shots.take(buyer, "buyer-orders")

        # Signing out ends the session; signing in again brings the orders back.
        buyer.get_by_test_id("sign-out").click()
        expect(buyer.get_by_role("link", name="Sign in")).to_be_visible()
        buyer.goto("/orders")
        buyer.wait_for_url(re.compile(r"/signin"))
        buyer.locator("#email").fill(email_of(buyer))
        buyer.locator("#password").fill(PASSWORD)
        shots.take(buyer, "buyer-signs-in")
        buyer.get_by_test_id("signin-submit").click()
        expect(buyer.get_by_test_id("order-row").first).to_contain_text("Card declined")


def test_a_card_that_needs_3d_secure_pays_once_the_buyer_authenticates(
    browser: Browser, web_url: str, shots: Shots
) -> None:
    with person(browser, web_url, "seller") as seller, person(browser, web_url, "buyer") as buyer:
        ticket_id = list_ticket(seller, "3-D Secure test", price="64.00")
        buy(buyer, ticket_id)

        enter_card(buyer, THREE_D_SECURE)
        buyer.get_by_test_id("pay-button").click()
        # localstripe's Stripe.js asks for the card holder's approval, as the bank would:
        # for the card's setup, then for the payment. Approve each challenge as it comes.
        outcome = buyer.get_by_test_id("checkout-outcome")
        approve = buyer.get_by_role("button", name="Complete authentication")
        challenges = 0
        for _ in range(LIVE_MS // 2_000):  # bounded: each look waits at most 2 s
            if outcome.is_visible():
                break
            try:
                approve.wait_for(timeout=2_000)
            except PlaywrightTimeoutError:
                continue
            challenges += 1
            shots.take(buyer, f"buyer-3d-secure-challenge-{challenges}")
            approve.click()
        expect(outcome).to_contain_text("Paid", timeout=LIVE_MS)
        assert challenges >= 1
        shots.take(buyer, "buyer-paid-after-3d-secure")
        expect(seller.get_by_test_id("ticket-detail")).to_have_attribute(
            "data-status", "sold", timeout=LIVE_MS
        )

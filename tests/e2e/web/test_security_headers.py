"""The real web app under the security headers of the local gateway (the ingress's own):
its pages, its live updates and Stripe.js card entry work in Chromium with no Content
Security Policy violation, and another site cannot frame it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import VISA, card, enter_card, list_ticket, sign_up

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
"""


@contextmanager
def watched(browser: Browser, base_url: str, role: str) -> Iterator[tuple[Page, list[str]]]:
    """A signed-up user's page, and every CSP complaint its console or document makes."""
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    context.add_init_script(RECORD_VIOLATIONS)
    complaints: list[str] = []
    page = context.new_page()
    page.on(
        "console",
        lambda message: (
            complaints.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    try:
        sign_up(page, f"{role}-csp-{datetime.now():%H%M%S%f}@example.com", role)
        yield page, complaints
    finally:
        context.close()


def violations(page: Page, complaints: list[str]) -> list[str]:
    return [*complaints, *page.evaluate("window.__csp")]


def test_the_web_app_works_under_its_content_security_policy(
    browser: Browser, web_url: str
) -> None:
    with (
        watched(browser, web_url, "seller") as (seller, seller_says),
        watched(browser, web_url, "buyer") as (buyer, buyer_says),
    ):
        answer = buyer.goto("/tickets")
        assert answer is not None
        headers = answer.headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
        expect(buyer.get_by_text("Tickets on sale")).to_be_visible()

        ticket_id = list_ticket(seller, "Under a strict policy", price="42.00")
        # The market's live update (the websocket to the same origin) still arrives.
        expect(card(buyer, ticket_id)).to_be_visible(timeout=15_000)
        buyer.goto(f"/tickets/{ticket_id}")
        buyer.get_by_test_id("buy-button").click()
        buyer.wait_for_url(re.compile(r"/checkout/[0-9a-f]{24}/?$"))
        enter_card(buyer, VISA)  # Stripe.js (localstripe's) loaded and running
        buyer.get_by_test_id("pay-button").click()
        expect(buyer.get_by_test_id("checkout-outcome")).to_contain_text("Paid", timeout=15_000)
        expect(seller.get_by_test_id("ticket-detail")).to_have_attribute(
            "data-status", "sold", timeout=15_000
        )
        assert violations(buyer, buyer_says) == []
        assert violations(seller, seller_says) == []


def test_another_site_cannot_frame_the_web_app(browser: Browser, web_url: str) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        refused: list[str] = []
        page.on("console", lambda message: refused.append(message.text))
        page.set_content(f'<iframe id="victim" src="{web_url}/" width="800" height="600"></iframe>')
        page.wait_for_timeout(3_000)
        frame = page.frame_locator("#victim")
        expect(frame.get_by_text("Tickets on sale")).to_have_count(0)
        assert any("frame-ancestors" in text or "X-Frame-Options" in text for text in refused), (
            refused
        )
    finally:
        context.close()

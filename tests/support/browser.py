"""Driving the web app in Debian's Chromium with Playwright, as the users do.

Playwright's own browser download is not available here: the tests point it at
``/usr/bin/chromium`` (installed by ``.ci/run``) with flags that keep it off the network.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from weakref import WeakKeyDictionary

from playwright.sync_api import Browser, Locator, Page, Playwright, expect

from tests.support.api import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
VISA = "4242424242424242"
DECLINED = "4000000000000341"
THREE_D_SECURE = "4000002500003155"
_people = itertools.count(1)
_emails: WeakKeyDictionary[Page, str] = WeakKeyDictionary()


def launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


class Shots:
    """Numbered screenshots of one test's key moments, in one folder per test."""

    def __init__(self, test_name: str) -> None:
        self.folder = SCREENSHOTS / re.sub(r"[^\w.-]+", "_", test_name)
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):
            old.unlink()
        self._seq = itertools.count(1)

    def take(self, page: Page, name: str) -> Path:
        path = self.folder / f"{next(self._seq):02d}-{name}.png"
        page.screenshot(path=path, full_page=True)
        return path


@contextmanager
def person(browser: Browser, base_url: str, role: str) -> Iterator[Page]:
    """A new browser profile signed up through the sign-up form."""
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        email = f"{role}-{next(_people)}-{datetime.now():%H%M%S%f}@example.com"
        sign_up(page, email, role)
        _emails[page] = email
        yield page
    finally:
        context.close()


def email_of(page: Page) -> str:
    """The email a ``person`` signed up with."""
    return _emails[page]


def sign_up(page: Page, email: str, name: str) -> None:
    page.goto("/signup")
    page.locator("#email").fill(email)
    page.locator("#displayName").fill(name.title())
    page.locator("#password").fill(PASSWORD)
    page.get_by_test_id("signup-submit").click()
    expect(page.get_by_test_id("sign-out")).to_be_visible()


def list_ticket(page: Page, title: str, price: str = "75.00") -> str:
    """Lists a ticket with the sell form; returns its id."""
    page.goto("/sell")
    page.locator("#title").fill(title)
    page.locator("#eventName").fill("The Browser Band")
    page.locator("#venue").fill("Chromium Arena")
    starts = datetime.now() + timedelta(days=21)
    page.locator("#startsAt").fill(starts.strftime("%Y-%m-%dT20:00"))
    page.locator("#section").fill("B")
    page.locator("#price").fill(price)
    page.get_by_test_id("sell-submit").click()
    page.wait_for_url(re.compile(r"/tickets/[0-9a-f]{24}/?$"))
    return page.url.rstrip("/").rsplit("/", 1)[-1]


def card(page: Page, ticket_id: str) -> Locator:
    return page.locator(f'[data-testid="ticket-card"][data-ticket-id="{ticket_id}"]')


def enter_card(page: Page, number: str) -> None:
    """Types a card into the Stripe.js card element (localstripe's emulation)."""
    element = page.get_by_test_id("card-element")
    element.locator('input[placeholder="number"]').fill(number)
    element.locator('input[placeholder="exp_month"]').fill("12")
    element.locator('input[placeholder="exp_year"]').fill("34")
    element.locator('input[placeholder="cvc"]').fill("123")
    element.locator('input[placeholder="postal_code"]').fill("10001")

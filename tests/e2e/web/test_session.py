"""The web session in the real Chromium: an HttpOnly cookie that page scripts cannot read,
an API token that never reaches the browser (not in cookies, storage or ``/_event``
frames), sign-in that survives a reload and a new tab until sign-out, and a ``/_event``
socket that refuses pages of another origin."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, WebSocket, expect
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Origin

from tests.support.api import PASSWORD
from tests.support.browser import sign_up

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

COOKIE = "ticketing_session"
JWT = re.compile(r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+")
# Everything a page script can read of what the browser keeps for this site.
SCRIPT_VIEW = """() => JSON.stringify({
  cookie: document.cookie,
  local: Object.entries(localStorage),
  session: Object.entries(sessionStorage),
})"""


@pytest.fixture(scope="module")
def app_url(web_url: str) -> str:
    """This folder's marketplace, started with the README's run command."""
    return web_url


def new_context(browser: Browser, app_url: str) -> BrowserContext:
    context = browser.new_context(base_url=app_url)
    context.set_default_timeout(30_000)
    return context


def record_event_frames(page: Page) -> list[str]:
    """Every ``/_event`` frame the page sends or receives, as text."""
    frames: list[str] = []

    def on_socket(socket: WebSocket) -> None:
        if "/_event" in socket.url:
            socket.on("framesent", lambda payload: frames.append(str(payload)))
            socket.on("framereceived", lambda payload: frames.append(str(payload)))

    page.on("websocket", on_socket)
    return frames


def session_cookie(context: BrowserContext) -> dict[str, object]:
    cookies = [c for c in context.cookies() if c["name"] == COOKIE]
    assert len(cookies) == 1, cookies
    return dict(cookies[0])


def email() -> str:
    return f"session-{datetime.now():%H%M%S%f}@example.com"


def expect_signed_in(page: Page) -> None:
    expect(page.get_by_test_id("sign-out")).to_be_visible()


def expect_signed_out(page: Page) -> None:
    page.goto("/profile")  # a page for signed-in users only: sends the others to sign in
    expect(page).to_have_url(re.compile(r"/signin\?next=/profile/?$"))
    expect(page.get_by_test_id("signin-submit")).to_be_visible()


def test_page_scripts_and_event_frames_never_see_the_token_or_the_session(
    browser: Browser, app_url: str
) -> None:
    context = new_context(browser, app_url)
    try:
        page = context.new_page()
        frames = record_event_frames(page)
        sign_up(page, email(), "reader")
        page.reload()
        expect_signed_in(page)

        cookie = session_cookie(context)
        assert cookie["httpOnly"] is True
        assert cookie["sameSite"] == "Lax"
        assert cookie["secure"] is False  # PUBLIC_URL is http here
        assert cookie["path"] == "/"
        value = str(cookie["value"])
        assert not JWT.search(value), "the cookie is an opaque id, not the token"

        seen_by_scripts = str(page.evaluate(SCRIPT_VIEW))
        assert COOKIE not in seen_by_scripts
        assert value not in seen_by_scripts
        assert not JWT.search(seen_by_scripts), seen_by_scripts

        assert frames, "no /_event frame was observed"
        assert not [frame for frame in frames if JWT.search(frame)]
        assert not [frame for frame in frames if value in frame]
    finally:
        context.close()


def test_a_reload_and_a_new_tab_stay_signed_in_until_sign_out(
    browser: Browser, app_url: str
) -> None:
    context = new_context(browser, app_url)
    try:
        page = context.new_page()
        address = email()
        sign_up(page, address, "stayer")
        signed_up_as = session_cookie(context)["value"]
        page.reload()
        expect_signed_in(page)
        other_tab = context.new_page()
        other_tab.goto("/orders")
        expect_signed_in(other_tab)
        expect(other_tab).to_have_url(re.compile(r"/orders/?$"))

        page.get_by_test_id("sign-out").click()
        expect(page.get_by_text("You are signed out.")).to_be_visible()
        expect_signed_out(other_tab)
        expect_signed_out(context.new_page())

        # Signing in again (the sign-in form) gives the browser a new session id.
        page.goto("/signin?next=/orders")
        page.locator("#email").fill(address)
        page.locator("#password").fill(PASSWORD)
        page.get_by_test_id("signin-submit").click()
        expect(page).to_have_url(re.compile(r"/orders/?$"))
        expect_signed_in(page)
        signed_in_as = session_cookie(context)
        assert signed_in_as["httpOnly"] is True
        assert signed_in_as["value"] != signed_up_as
    finally:
        context.close()


def test_an_event_socket_handshake_from_another_origin_is_refused(app_url: str) -> None:
    url = app_url.replace("http://", "ws://", 1) + "/_event/?EIO=4&transport=websocket"
    with connect(url, origin=Origin(app_url), open_timeout=30) as socket:
        assert str(socket.recv(timeout=30)).startswith("0{")  # engine.io's "open" packet
    with (
        pytest.raises(InvalidStatus) as refused,
        connect(url, origin=Origin("https://evil.example"), open_timeout=30),
    ):
        pass
    assert refused.value.response.status_code in (400, 403)

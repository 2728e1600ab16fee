"""The ticket itself in real browsers, against the stack the README's run command starts:
a seller's listing says its code is hidden while for sale; a buyer pays with a card and
finds the ticket's QR code in the wallet (My tickets) — decoded from a screenshot, it is
the very code the API gives its owner — and on its printable page; a scanner (a user made
operator with the operator's command) opens the door page of the event, types the code:
ADMITTED, with the seat; again: ALREADY USED; the wallet then says when it was used.
Another scanner reads a code with the camera (Chromium's fake camera, showing the QR); a
third keeps checking while the tickets service does not answer: admitted from the scanner
kit, then already used, and the check-in sent once the service is back."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
import segno
import zxingcpp
from PIL import Image
from playwright.sync_api import Browser, Locator, Page, Route, expect

from tests.e2e.web.test_money_browser import reload_until_visible
from tests.support.api import PASSWORD
from tests.support.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    VISA,
    Shots,
    email_of,
    enter_card,
    person,
)
from tests.support.run_stack import grant_operator, paused

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LIVE_MS = 15_000  # how long a live update may take to show
SETTLE_S = 30.0  # how long a sale may take to be recorded (and its code issued) after paying
ROLE_S = 30.0  # how long the tickets service may take to hear of a new operator
TICKET_URL = re.compile(r"/tickets/([0-9a-f]{24})/?$")
CHECKOUT_URL = re.compile(r"/checkout/[0-9a-f]{24}/?$")
OFFLINE_MS = 15_000  # a check waits 4 s for the API before it checks with the kit
SYNC_MS = 40_000  # the scanner tries the API again every 5 s (each try waits 4 s at most)
TICKETS = "backend.tickets.app:create_app"
SEAT = "Section D · Row 7 · Seat 12"
CAMERA_POLICY = "camera=(self), microphone=(), geolocation=()"


def decoded(element: Locator, path: Path) -> list[str]:
    """The texts of the QR codes a screenshot of ``element`` (kept at ``path``) shows."""
    element.screenshot(path=path)
    with Image.open(path) as picture:
        return [found.text for found in zxingcpp.read_barcodes(picture)]


def token_of(base_url: str, email: str) -> str:
    answer = httpx.post(
        f"{base_url}/api/users/token", json={"email": email, "password": PASSWORD}, timeout=30
    )
    answer.raise_for_status()
    return str(answer.json()["token"])


def api_code(base_url: str, token: str, ticket_id: str) -> str:
    """The ticket's code as the API gives its owner."""
    answer = httpx.get(
        f"{base_url}/api/tickets/{ticket_id}/code",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["code"])


def event_of(base_url: str, ticket_id: str) -> str:
    answer = httpx.get(f"{base_url}/api/tickets/{ticket_id}", timeout=30)
    answer.raise_for_status()
    return str(answer.json()["event"]["id"])


def wallet_row(page: Page, ticket_id: str) -> Locator:
    return page.locator(f'[data-testid="owned-row"][data-ticket-id="{ticket_id}"]')


def open_door(page: Page, event_id: str) -> None:
    """The scanner page of the event, once the tickets service lets this scanner in (the
    operator's role reaches it moments after the command)."""
    ready = page.locator('[data-testid="kit-status"][data-kit="ready"]')
    reload_until_visible(page, f"/scan/{event_id}", ready, ROLE_S)
    expect(ready).to_contain_text("Offline checks ready")


def check(page: Page, code: str) -> Locator:
    page.get_by_test_id("code-input").fill(code)
    page.get_by_test_id("check-submit").click()
    return page.get_by_test_id("check-result")


def list_seat(seller: Page, name: str, title: str) -> str:
    """A ticket for a new event (its own door), section D, row 7, seat 12: its id."""
    seller.goto("/sell")
    seller.locator("#eventName").fill(name)
    seller.locator("#venue").fill("Gatehouse")
    starts = datetime.now() + timedelta(days=14)
    seller.locator("#startsAt").fill(starts.strftime("%Y-%m-%dT20:00"))
    seller.locator("#title").fill(title)
    seller.locator("#section").fill("D")
    seller.locator("#row").fill("7")
    seller.locator("#seat").fill("12")
    seller.locator("#price").fill("40.00")
    seller.get_by_test_id("sell-submit").click()
    seller.wait_for_url(TICKET_URL)
    return seller.url.rstrip("/").rsplit("/", 1)[-1]


def test_the_wallet_shows_the_code_and_the_door_admits_it_once(
    browser: Browser, web_url: str, shots: Shots
) -> None:
    name = f"Door Night {datetime.now():%H%M%S%f}"
    title = "Stalls, on the aisle"
    with (
        person(browser, web_url, "seller") as seller,
        person(browser, web_url, "buyer") as buyer,
        person(browser, web_url, "door") as door,
    ):
        ticket_id = list_seat(seller, name, title)

        # The seller's listing has no code to show while it is for sale.
        seller.goto("/listings")
        listed = seller.locator('[data-testid="listing-row"]').filter(has_text=title)
        expect(listed.get_by_test_id("code-hidden")).to_have_text("Code hidden while for sale")
        shots.take(seller, "listing-code-hidden")

        # The buyer pays with a card, the wallet open in another tab.
        wallet = buyer.context.new_page()
        wallet.goto("/listings")
        expect(wallet.get_by_text("Tickets you buy appear here.")).to_be_visible()
        buyer.goto(f"/tickets/{ticket_id}")
        buyer.get_by_test_id("buy-button").click()
        buyer.wait_for_url(CHECKOUT_URL)
        enter_card(buyer, VISA)
        buyer.get_by_test_id("pay-button").click()
        expect(buyer.get_by_test_id("checkout-outcome")).to_contain_text("Paid", timeout=LIVE_MS)
        # The new code is told on ``me``: the open wallet shows the ticket without a reload.
        expect(wallet_row(wallet, ticket_id).get_by_test_id("ticket-qr")).to_be_visible(
            timeout=SETTLE_S * 1000
        )
        wallet.close()

        # The wallet: the ticket, its seat and its QR code, the code the API gives its owner.
        row = wallet_row(buyer, ticket_id)
        qr = row.get_by_test_id("ticket-qr")
        reload_until_visible(buyer, "/listings", qr, SETTLE_S)
        expect(row.get_by_test_id("wallet-event")).to_contain_text(name)
        expect(row.get_by_test_id("wallet-seat")).to_have_text(SEAT)
        expect(row.get_by_test_id("code-used")).to_have_count(0)
        shots.take(buyer, "wallet")
        code = api_code(web_url, token_of(web_url, email_of(buyer)), ticket_id)
        assert decoded(qr, shots.folder / "wallet-qr.png") == [code]

        # Its printable page: the QR large, the event, the seat and the code as text.
        row.get_by_test_id("print-link").click()
        buyer.wait_for_url(re.compile(rf"/tickets/{ticket_id}/code/?$"))
        expect(buyer.get_by_test_id("code-event")).to_have_text(name)
        expect(buyer.get_by_test_id("code-seat")).to_have_text(SEAT)
        expect(buyer.get_by_test_id("ticket-code")).to_have_text(code)
        large = buyer.get_by_test_id("ticket-qr")
        assert decoded(large, shots.folder / "printable-qr.png") == [code]
        expect(buyer.get_by_test_id("print-button")).to_be_visible()
        shots.take(buyer, "printable-code")

        # The door: a user made operator scans the event's codes.
        event_id = event_of(web_url, ticket_id)
        grant_operator(web_url, email_of(door))
        open_door(door, event_id)
        expect(door.get_by_test_id("scan-event")).to_have_text(name)
        # No camera in this browser: the scanner says so, and typed codes still work.
        door.get_by_test_id("camera-toggle").click()
        expect(door.get_by_test_id("camera-problem")).to_be_visible()

        result = check(door, code)
        expect(result).to_have_attribute("data-result", "admitted")
        expect(door.get_by_test_id("check-headline")).to_have_text("ADMITTED")
        expect(door.get_by_test_id("check-seat")).to_have_text(SEAT)
        shots.take(door, "admitted")

        result = check(door, code)
        expect(result).to_have_attribute("data-result", "already_used")
        expect(door.get_by_test_id("check-headline")).to_have_text("ALREADY USED")
        expect(door.get_by_test_id("check-detail")).to_contain_text("at ")
        expect(door.get_by_test_id("check-seat")).to_have_text(SEAT)
        shots.take(door, "already-used")

        result = check(door, code[:-6] + "AAAAAA")  # its signature altered
        expect(result).to_have_attribute("data-result", "not_valid")
        expect(door.get_by_test_id("check-detail")).to_have_text("Forged or altered code")
        shots.take(door, "not-valid")

        # The owner's wallet says it was used.
        buyer.goto("/listings")
        expect(row.get_by_test_id("code-used")).to_contain_text("Used at the door")
        shots.take(buyer, "wallet-used")


def y4m_of(code: str, path: Path) -> Path:
    """A short video (YUV4MPEG2, what Chromium's fake camera plays, in a loop) of ``code``'s
    QR code on white, held as a hand-held ticket is: nearer and farther, square to the
    camera and tilted a little. ZXing's JavaScript decoder misses some codes in a
    pixel-perfect square frame at a given size (up to one in seven at 6 px a module): with
    only three square sizes, about 3 % of codes were never read at all — this test's one
    failure in CI. With these 15 views, 700 codes of this format were each read in at
    least one (ZXing 0.23 in Node on the very frames)."""
    qr = segno.make_qr(code, error="m")
    chroma = bytes([128]) * (320 * 240)  # grey: only the luma plane draws
    with path.open("wb") as video:
        video.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for scale in (3, 4, 5, 6, 7):
            picture = path.with_name(f"{path.stem}-{scale}.png")
            qr.save(str(picture), scale=scale, border=4)
            with Image.open(picture) as drawn:
                square = drawn.convert("L")
            for angle in (0, 4, -7):
                held = square.rotate(angle, Image.Resampling.BILINEAR, expand=True, fillcolor=255)
                frame = Image.new("L", (640, 480), 255)
                frame.paste(held, ((640 - held.width) // 2, (480 - held.height) // 2))
                video.write((b"FRAME\n" + frame.tobytes() + chroma + chroma) * 3)
    return path


@contextmanager
def camera_browser(browser: Browser, video: Path) -> Iterator[Browser]:
    """Chromium with a fake camera playing ``video``, the permission granted."""
    fake = [
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
        # A page the test serves itself (``allow_the_camera``) has no address Chromium
        # knows: without this, it counts as public and may not reach localhost's socket.
        "--disable-features=LocalNetworkAccessChecks",
    ]
    chromium = browser.browser_type.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *fake])
    try:
        yield chromium
    finally:
        chromium.close()


def allow_the_camera(route: Route) -> None:
    """Serves the door page with the camera allowed to the site itself: the site's
    Permissions-Policy (deploy/k8s/ingress.yaml, which the local gateway sends too) says
    ``camera=()``, which leaves the scanner no camera on any page."""
    served = route.fetch()
    # (the body comes decoded: its encoding and length no longer apply)
    kept = {
        k: v for k, v in served.headers.items() if k not in ("content-encoding", "content-length")
    }
    route.fulfill(response=served, headers=kept | {"permissions-policy": CAMERA_POLICY})


def test_the_door_scanner_reads_a_code_with_the_camera(
    browser: Browser, web_url: str, shots: Shots
) -> None:
    name = f"Camera Night {datetime.now():%H%M%S%f}"
    with person(browser, web_url, "seller") as seller:
        ticket_id = list_seat(seller, name, "Balcony")
    code = bought_by_api(web_url, ticket_id)

    video = y4m_of(code, shots.folder / "camera.y4m")
    with camera_browser(browser, video) as chromium, person(chromium, web_url, "door") as door:
        door.context.grant_permissions(["camera"], origin=web_url)
        door.route(re.compile(r"/scan/"), allow_the_camera)
        grant_operator(web_url, email_of(door))
        open_door(door, event_of(web_url, ticket_id))
        door.get_by_test_id("camera-toggle").click()
        expect(door.get_by_test_id("qr-scanner")).to_have_attribute("data-phase", "running")
        shots.take(door, "camera-running")
        result = door.get_by_test_id("check-result")
        expect(result).to_have_attribute("data-result", "admitted", timeout=LIVE_MS)
        expect(door.get_by_test_id("check-seat")).to_have_text(SEAT)
        shots.take(door, "camera-admitted")
        door.get_by_test_id("camera-toggle").click()  # stops the camera
        expect(door.get_by_test_id("qr-scanner")).to_have_attribute("data-phase", "idle")


def buy_as(base_url: str, email: str, ticket_id: str) -> str:
    """``email`` buys and pays for the ticket through the API: its code, once the sale gave
    it one."""
    with httpx.Client(base_url=base_url, timeout=30) as api:
        api.headers["Authorization"] = f"Bearer {token_of(base_url, email)}"
        order = api.post("/api/orders", json={"ticketId": ticket_id})
        assert order.status_code == 201, order.text
        body = {"orderId": order.json()["id"], "paymentMethodId": "pm_card_visa"}
        paid = api.post("/api/payments", json=body)
        assert paid.status_code in (200, 201), paid.text
        deadline = time.monotonic() + SETTLE_S
        while (answer := api.get(f"/api/tickets/{ticket_id}/code")).status_code != 200:
            assert time.monotonic() < deadline, answer.text
            time.sleep(0.5)
        return str(answer.json()["code"])


def bought_by_api(base_url: str, ticket_id: str) -> str:
    """A buyer signs up and buys the ticket through the API: its code."""
    email = f"fan-{datetime.now():%H%M%S%f}@example.com"
    body = {"email": email, "password": PASSWORD}
    signed = httpx.post(f"{base_url}/api/users/signup", json=body, timeout=30)
    assert signed.status_code == 201, signed.text
    return buy_as(base_url, email, ticket_id)


def test_the_door_checks_codes_offline_and_sends_them_when_the_api_is_back(
    browser: Browser, web_url: str, shots: Shots
) -> None:
    name = f"Offline Night {datetime.now():%H%M%S%f}"
    with (
        person(browser, web_url, "seller") as seller,
        person(browser, web_url, "door") as door,
    ):
        ticket_id = list_seat(seller, name, "Gallery")
        code = bought_by_api(web_url, ticket_id)
        grant_operator(web_url, email_of(door))
        open_door(door, event_of(web_url, ticket_id))  # the scanner kit is read here

        with paused(web_url, TICKETS):  # check-ins, the kit: nothing answers
            result = check(door, code)
            expect(result).to_have_attribute("data-result", "admitted", timeout=OFFLINE_MS)
            expect(door.get_by_test_id("check-offline")).to_be_visible()
            expect(door.get_by_test_id("offline")).to_be_visible()
            waiting = door.get_by_test_id("sync-waiting")
            expect(waiting).to_contain_text("1 check-in waiting to sync")
            shots.take(door, "offline-admitted")

            result = check(door, code)  # at once: offline, the kit decides
            expect(result).to_have_attribute("data-result", "already_used")
            expect(door.get_by_test_id("check-detail")).to_contain_text("at ")
            shots.take(door, "offline-already-used")

        # Back online: the queue is sent, and the API has the code used.
        expect(waiting).to_have_count(0, timeout=SYNC_MS)
        expect(door.get_by_test_id("offline")).to_have_count(0)
        expect(door.get_by_test_id("sync-note")).to_contain_text("1 check-in synced")
        shots.take(door, "synced")
        result = check(door, code)
        expect(result).to_have_attribute("data-result", "already_used")
        expect(door.get_by_test_id("check-offline")).to_have_count(0)
        expect(door.get_by_test_id("check-seat")).to_have_text(SEAT)


def test_a_ticket_given_to_a_friend_gets_a_new_code_in_their_wallet(
    browser: Browser, web_url: str, shots: Shots
) -> None:
    name = f"Friends Night {datetime.now():%H%M%S%f}"
    with (
        person(browser, web_url, "seller") as seller,
        person(browser, web_url, "giver") as giver,
        person(browser, web_url, "friend") as friend,
    ):
        ticket_id = list_seat(seller, name, "Circle")
        old_code = buy_as(web_url, email_of(giver), ticket_id)

        # The owner gives it, thinks better of it, and gives it again.
        giver.goto("/listings")
        row = wallet_row(giver, ticket_id)
        row.get_by_test_id("give").click()
        row.get_by_test_id("give-email").fill(email_of(friend))
        row.get_by_test_id("give-submit").click()
        pending = row.get_by_test_id("transfer-pending")
        expect(pending).to_contain_text(email_of(friend))
        expect(row.get_by_test_id("relist")).to_have_count(0)  # promised: not for sale
        shots.take(giver, "transfer-pending")
        row.get_by_test_id("cancel-transfer").click()
        expect(pending).to_have_count(0)
        row.get_by_test_id("give").click()
        row.get_by_test_id("give-email").fill(email_of(friend))
        row.get_by_test_id("give-submit").click()
        expect(pending).to_contain_text(email_of(friend))

        # The friend sees it offered, accepts it, and has it with a code of their own.
        friend.goto("/listings")
        offered = friend.get_by_test_id("incoming-transfer")
        expect(offered).to_have_count(1)
        expect(offered).to_contain_text("Circle")
        expect(offered).to_contain_text(SEAT)
        shots.take(friend, "transfer-offered")
        offered.get_by_test_id("accept-transfer").click()
        qr = wallet_row(friend, ticket_id).get_by_test_id("ticket-qr")
        expect(qr).to_be_visible()
        expect(offered).to_have_count(0)
        new_code = api_code(web_url, token_of(web_url, email_of(friend)), ticket_id)
        assert new_code != old_code
        assert decoded(qr, shots.folder / "friend-qr.png") == [new_code]
        shots.take(friend, "friend-wallet")

        # The giver's wallet no longer has it.
        giver.goto("/listings")
        expect(giver.get_by_text("Tickets you buy appear here.")).to_be_visible()
        expect(wallet_row(giver, ticket_id)).to_have_count(0)

"""Who is signed in, and the server clock the countdowns are corrected against."""

from __future__ import annotations

import contextlib
import time
from urllib.parse import quote

import reflex as rx
from reflex.event import EventSpec

from ticketing_ui import api
from ticketing_ui.settings import ui_settings
from wire.users import CurrentUserResponse, UserPublic

SESSION_DAYS = 7
_restart_live: set[str] = set()  # tabs whose live connection must re-authenticate


def now_ms() -> int:
    return int(time.time() * 1000)


def request_live_restart(client_token: str) -> None:
    _restart_live.add(client_token)


def take_live_restart(client_token: str) -> bool:
    if client_token in _restart_live:
        _restart_live.discard(client_token)
        return True
    return False


class SessionState(rx.State):
    # The API token of the signed-in user (from POST /api/users/token), kept in a cookie
    # so that a reload or a new tab stays signed in.
    token: str = rx.Cookie(
        "",
        name="ticketing_session",
        path="/",
        max_age=SESSION_DAYS * 24 * 3600,
        same_site="lax",
        secure=ui_settings().secure_cookies,
    )
    user_id: str = ""
    user_email: str = ""
    user_name: str = ""
    session_checked: bool = False
    server_now_ms: int = 0
    flash: str = ""  # a one-line notice for the next page (see ``notify``)
    _flash_pages: int = 0

    @rx.var
    def signed_in(self) -> bool:
        return bool(self.token and self.user_id)

    def tick_clock(self) -> None:
        self.server_now_ms = now_ms()

    def set_user(self, user: UserPublic | None) -> None:
        self.user_id = user.id if user else ""
        self.user_email = user.email if user else ""
        self.user_name = user.display_name if user else ""
        self.session_checked = True

    def notify(self, text: str) -> None:
        """Shows ``text`` on the page the user goes to next, and not after it."""
        self.flash, self._flash_pages = text, 2

    async def refresh_session(self) -> None:
        """Checks the token with the API (it may have expired or the user gone). Every
        page load calls it."""
        self.tick_clock()
        self._flash_pages = max(0, self._flash_pages - 1)
        if not self._flash_pages:
            self.flash = ""
        if not self.token:
            self.set_user(None)
            return
        try:
            body = await api.call(
                CurrentUserResponse, "GET", "/api/users/currentuser", token=self.token
            )
        except api.ApiError as exc:
            if exc.status == 401:
                self.token = ""
            self.set_user(None)
            return
        user = body.current_user
        if user is None:
            self.token = ""
        self.set_user(user)

    @rx.event
    async def load_session(self) -> None:
        await self.refresh_session()

    def redirect_to_sign_in(self) -> EventSpec:
        here = self.router.url.path or "/"
        return rx.redirect(f"/signin?next={quote(here, safe='/')}")

    @rx.event
    async def sign_out(self) -> EventSpec:
        if self.token:  # the API revokes the token, wherever else it was copied
            with contextlib.suppress(api.ApiError):
                await api.send("POST", "/api/users/signout", token=self.token)
        self.token = ""
        self.set_user(None)
        request_live_restart(self.router.session.client_token)
        self.notify("You are signed out.")
        return rx.redirect("/")

    @rx.event
    def dismiss_flash(self) -> None:
        self.flash = ""

"""Who is signed in, and the server clock the countdowns are corrected against."""

from __future__ import annotations

import contextlib
import time
from urllib.parse import quote

import reflex as rx
from reflex.event import EventSpec

from ticketing_ui import api
from ticketing_ui.settings import ui_settings
from ticketing_ui.web_session import session_id, web_sessions
from wire.users import CurrentUserResponse, UserPublic

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
    # The API token of the signed-in user (from POST /api/users/token). Backend-only (the
    # leading underscore): never sent to the browser. It is looked up at every page load
    # by the HttpOnly session cookie of the socket's handshake (``ticketing_ui.web_session``),
    # so that a reload or a new tab stays signed in.
    _token: str = ""
    user_id: str = ""
    user_email: str = ""
    user_name: str = ""
    session_checked: bool = False
    server_now_ms: int = 0
    flash: str = ""  # a one-line notice for the next page (see ``notify``)
    _flash_pages: int = 0
    dev_mails: bool = False  # development: the mails sent are shown at /dev/mails

    @rx.var
    def signed_in(self) -> bool:
        return bool(self.user_id)

    def _session_id(self) -> str | None:
        """The session cookie this tab's socket was opened with."""
        return session_id(self.router.headers.cookie)

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
        self.dev_mails = bool(ui_settings().mail_sink_url)
        self._flash_pages = max(0, self._flash_pages - 1)
        if not self._flash_pages:
            self.flash = ""
        session = self._session_id()
        self._token = await web_sessions().token(session)
        if not self._token:
            self.set_user(None)
            return
        try:
            body = await api.call(
                CurrentUserResponse, "GET", "/api/users/currentuser", token=self._token
            )
        except api.ApiError as exc:
            if exc.status == 401:
                await self._end_session(session)
            self.set_user(None)
            return
        user = body.current_user
        if user is None:
            await self._end_session(session)
        self.set_user(user)

    async def _end_session(self, session: str | None) -> None:
        self._token = ""
        await web_sessions().end(session)

    @rx.event
    async def load_session(self) -> None:
        await self.refresh_session()

    def redirect_to_sign_in(self) -> EventSpec:
        here = self.router.url.path or "/"
        return rx.redirect(f"/signin?next={quote(here, safe='/')}")

    @rx.event
    async def sign_out(self) -> EventSpec:
        session = self._session_id()
        token = self._token or await web_sessions().token(session)
        if token:  # the API revokes the token, wherever else it was copied
            with contextlib.suppress(api.ApiError):
                await api.send("POST", "/api/users/signout", token=token)
        await self._end_session(session)
        self.set_user(None)
        request_live_restart(self.router.session.client_token)
        self.notify("You are signed out.")
        return rx.redirect("/")

    @rx.event
    def dismiss_flash(self) -> None:
        self.flash = ""

"""Sign up, sign in and the profile: forms whose errors come from the auth API."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import reflex as rx
from reflex.event import EventSpec

from ticketing_ui import api
from ticketing_ui.state.session import SessionState, request_live_restart
from ticketing_ui.web_session import activate_url, safe_next, web_sessions
from wire.users import TokenResponse

__all__ = ["AuthState", "ProfileState", "safe_next"]


def go_to(url: str) -> EventSpec:
    """A full page load (not a client-side route change): the answer can set a cookie."""
    return rx.call_script(f"window.location.assign({json.dumps(url)})")


class AuthState(SessionState):
    errors: dict[str, str] = {}
    error: str = ""
    busy: bool = False

    def _fail(self, exc: api.ApiError) -> None:
        self.errors = exc.fields
        self.error = "" if exc.fields else exc.message

    async def _start_session(self, email: str, password: str) -> str:
        """Signs in at the API; returns where the browser gets its new session cookie (the
        token stays on the server: ``ticketing_ui.web_session``)."""
        current = self._session_id()
        if current is None:
            raise api.ApiError(400, "Please allow cookies for this site to sign in.")
        issued = await api.call(
            TokenResponse,
            "POST",
            "/api/users/token",
            json={"email": email, "password": password},
            caller=self.router.session.client_ip,
        )
        ttl_s = int((issued.expires_at - datetime.now(UTC)).total_seconds())
        code = await web_sessions().start(
            token=issued.token, ttl_s=max(ttl_s, 1), issued_under=current
        )
        request_live_restart(self.router.session.client_token)
        return activate_url(code, safe_next(self.router.url.query_parameters.get("next")))

    @rx.event
    def reset_form(self) -> None:
        self.errors, self.error, self.busy = {}, "", False

    @rx.event
    async def sign_in(self, form: dict[str, Any]) -> Any:
        self.errors, self.error, self.busy = {}, "", True
        yield
        try:
            url = await self._start_session(
                str(form.get("email", "")), str(form.get("password", ""))
            )
        except api.ApiError as exc:
            self._fail(exc)
            if exc.status == 401:
                self.error, self.errors = "Wrong email or password.", {}
            return
        finally:
            self.busy = False
        yield go_to(url)

    @rx.event
    async def sign_up(self, form: dict[str, Any]) -> Any:
        self.errors, self.error, self.busy = {}, "", True
        yield
        email, password = str(form.get("email", "")), str(form.get("password", ""))
        body: dict[str, Any] = {"email": email, "password": password}
        if name := str(form.get("displayName", "")).strip():
            body["displayName"] = name
        try:
            await api.send(
                "POST", "/api/users/signup", json=body, caller=self.router.session.client_ip
            )
            url = await self._start_session(email, password)
        except api.ApiError as exc:
            self._fail(exc)
            return
        finally:
            self.busy = False
        self.notify("Welcome! Your account is ready.")
        yield go_to(url)


class ProfileState(SessionState):
    errors: dict[str, str] = {}
    error: str = ""
    saved: str = ""
    busy: bool = False

    @rx.event
    async def load(self) -> Any:
        await self.refresh_session()
        self.errors, self.error, self.saved = {}, "", ""
        if not self.signed_in:
            return self.redirect_to_sign_in()
        return None

    @rx.event
    async def save(self, form: dict[str, Any]) -> Any:
        self.errors, self.error, self.saved, self.busy = {}, "", "", True
        yield
        name = str(form.get("displayName", "")).strip()
        password = str(form.get("password") or "") or None
        try:
            if not (name and name != self.user_name) and password is None:
                self.saved = "Nothing to change."
                return
            saved = await api.save_profile(
                self._token,
                display_name=name if name and name != self.user_name else None,
                password=password,
                current_password=str(form.get("currentPassword", "")),
            )
            if saved.token is not None and (session := self._session_id()) is not None:
                ttl_s = int((saved.token.expires_at - datetime.now(UTC)).total_seconds())
                await web_sessions().renew(session, token=saved.token.token, ttl_s=max(ttl_s, 1))
                self._token = saved.token.token
                request_live_restart(self.router.session.client_token)  # its socket was ended
        except api.ApiError as exc:
            self.errors = exc.fields
            self.error = "" if exc.fields else exc.message
            return
        finally:
            self.busy = False
        self.set_user(saved.user)
        self.saved = "Saved."

"""Sign up, sign in and the profile: forms whose errors come from the auth API."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ticketing_ui import api
from ticketing_ui.state.session import SessionState, request_live_restart
from wire.users import TokenResponse, UserPublic


def safe_next(target: str | None) -> str:
    """Only a path on this site (no open redirect to another origin)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    # Browsers read a backslash as "/" and drop tabs and newlines, so "/<backslash>evil.com"
    # and "/<tab>/evil.com" both lead to //evil.com.
    if "\\" in target or any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return "/"
    return target


class AuthState(SessionState):
    errors: dict[str, str] = {}
    error: str = ""
    busy: bool = False

    def _fail(self, exc: api.ApiError) -> None:
        self.errors = exc.fields
        self.error = "" if exc.fields else exc.message

    async def _start_session(self, email: str, password: str) -> None:
        issued = await api.call(
            TokenResponse, "POST", "/api/users/token", json={"email": email, "password": password}
        )
        self.token = issued.token
        await self.refresh_session()
        request_live_restart(self.router.session.client_token)

    @rx.event
    def reset_form(self) -> None:
        self.errors, self.error, self.busy = {}, "", False

    @rx.event
    async def sign_in(self, form: dict[str, Any]) -> Any:
        self.errors, self.error, self.busy = {}, "", True
        yield
        try:
            await self._start_session(str(form.get("email", "")), str(form.get("password", "")))
        except api.ApiError as exc:
            self._fail(exc)
            if exc.status == 401:
                self.error, self.errors = "Wrong email or password.", {}
            return
        finally:
            self.busy = False
        yield rx.redirect(safe_next(self.router.url.query_parameters.get("next")))

    @rx.event
    async def sign_up(self, form: dict[str, Any]) -> Any:
        self.errors, self.error, self.busy = {}, "", True
        yield
        email, password = str(form.get("email", "")), str(form.get("password", ""))
        body: dict[str, Any] = {"email": email, "password": password}
        if name := str(form.get("displayName", "")).strip():
            body["displayName"] = name
        try:
            await api.send("POST", "/api/users/signup", json=body)
            await self._start_session(email, password)
        except api.ApiError as exc:
            self._fail(exc)
            return
        finally:
            self.busy = False
        self.notify("Welcome! Your account is ready.")
        yield rx.redirect(safe_next(self.router.url.query_parameters.get("next")))


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
        body: dict[str, Any] = {}
        name = str(form.get("displayName", "")).strip()
        if name and name != self.user_name:
            body["displayName"] = name
        if form.get("password"):
            body["password"] = str(form["password"])
            body["currentPassword"] = str(form.get("currentPassword", ""))
        try:
            if not body:
                self.saved = "Nothing to change."
                return
            user = await api.call(UserPublic, "PATCH", "/api/users/me", token=self.token, json=body)
        except api.ApiError as exc:
            self.errors = exc.fields
            self.error = "" if exc.fields else exc.message
            return
        finally:
            self.busy = False
        self.set_user(user)
        self.saved = "Saved."

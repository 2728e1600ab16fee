"""Listing a ticket for sale."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import reflex as rx

from ticketing_ui import api
from ticketing_ui.state.market import PRICE_HINT, cents
from ticketing_ui.state.session import SessionState
from wire.tickets import TicketPublic


def local_to_iso(text: str, zone: str) -> str | None:
    """A ``datetime-local`` value in the browser's time zone, as ISO-8601 with its offset."""
    try:
        moment = datetime.fromisoformat(text)
        tz = ZoneInfo(zone or "UTC")
    # The zone comes from the browser: a folder of the zone database ("America") is an OSError.
    except (ValueError, OSError, ZoneInfoNotFoundError):
        return None
    if moment.tzinfo is not None:  # an explicit offset already says which instant it is
        return moment.isoformat()
    return moment.replace(tzinfo=tz).isoformat()


class SellState(SessionState):
    errors: dict[str, str] = {}
    error: str = ""
    busy: bool = False
    time_zone: str = "UTC"

    @rx.event
    async def load(self) -> Any:
        await self.refresh_session()
        self.errors, self.error = {}, ""
        if not self.signed_in:
            return self.redirect_to_sign_in()
        return rx.call_script(
            "Intl.DateTimeFormat().resolvedOptions().timeZone", callback=SellState.set_zone
        )

    @rx.event
    def set_zone(self, zone: str) -> None:
        self.time_zone = str(zone or "UTC")

    @rx.event
    async def submit(self, form: dict[str, Any]) -> Any:
        self.errors, self.error = {}, ""
        local: dict[str, str] = {}
        amount = cents(str(form.get("price", "")))
        if not amount:
            local["price.amount"] = PRICE_HINT
        starts = local_to_iso(str(form.get("startsAt", "")), self.time_zone)
        if starts is None:
            local["event.startsAt"] = "Pick the date and time of the event."
        if local:
            self.errors = local
            return
        body: dict[str, Any] = {
            "title": str(form.get("title", "")).strip(),
            "event": {
                "name": str(form.get("eventName", "")).strip(),
                "kind": str(form.get("kind") or "concert"),
                "venue": str(form.get("venue", "")).strip(),
                "startsAt": starts,
            },
            "price": {"amount": amount, "currency": str(form.get("currency") or "usd")},
        }
        for key in ("section", "row", "seat"):
            if value := str(form.get(key, "")).strip():
                body[key] = value
        self.busy = True
        yield
        try:
            ticket = await api.call(
                TicketPublic, "POST", "/api/tickets", token=self._token, json=body
            )
        except api.ApiError as exc:
            self.errors = exc.fields
            self.error = "" if exc.fields else exc.message
            if exc.status == 401:
                yield self.redirect_to_sign_in()
            return
        finally:
            self.busy = False
        self.notify("Your ticket is on sale.")
        yield rx.redirect(f"/tickets/{ticket.id}")

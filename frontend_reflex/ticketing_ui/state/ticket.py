"""One ticket: buy it, or (its owner) change its price while nobody is buying it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import reflex as rx

from ticketing_ui import api
from ticketing_ui.models import TicketView
from ticketing_ui.state.fees import FeeQuoteState
from ticketing_ui.state.market import PRICE_HINT, cents
from ticketing_ui.state.session import SessionState, now_ms
from wire.live import AnyFrame, TicketMessage
from wire.tickets import TicketPublic


def path_id(path: str, prefix: str) -> str:
    """``/tickets/<id>`` → ``<id>`` (the route's dynamic part)."""
    rest = path.removeprefix(prefix).strip("/")
    return rest.split("/", 1)[0]


class TicketState(SessionState):
    ticket: TicketView = TicketView()
    found: bool = True
    loading: bool = True
    buy_error: str = ""
    buying: bool = False
    price_error: str = ""
    price_saved: str = ""
    saving: bool = False

    @rx.var
    def is_owner(self) -> bool:
        return bool(self.user_id) and self.ticket.owner_id == self.user_id

    @rx.event
    async def load(self) -> None:
        await self.refresh_session()
        self.loading, self.buy_error, self.price_error, self.price_saved = True, "", "", ""
        ticket_id = path_id(self.router.url.path, "/tickets/")
        try:
            self.ticket = TicketView.of(
                # Signed in, its seller or owner sees who owns it (the public view hides
                # the owner once it is bought).
                await api.call(TicketPublic, "GET", f"/api/tickets/{ticket_id}", token=self._token)
            )
            self.found = True
        except api.ApiError as exc:
            self.found = False
            self.buy_error = "" if exc.status == 404 else exc.message
        finally:
            self.loading = False
            self.tick_clock()
        await self._quote_own_price()

    async def _quote_own_price(self) -> None:
        """Its owner's price form starts at the list price (the price they set, not what
        buyers pay, which has the buyer fee on top), with what it comes to."""
        fees = await self.get_state(FeeQuoteState)
        if self.found and self.is_owner:
            await fees.quote(self.ticket.list_price_typed, self.ticket.currency)
        else:
            fees.forget()

    @rx.event
    async def buy(self) -> Any:
        if not self.signed_in:
            return self.redirect_to_sign_in()
        self.buying, self.buy_error = True, ""
        try:
            order = await api.hold_ticket(
                self._token, self.ticket.id, caller=self.router.session.client_ip
            )
        except api.ApiError as exc:
            self.buy_error = exc.message
            return None
        finally:
            self.buying = False
        return rx.redirect(f"/checkout/{order.id}")

    @rx.event
    async def save_price(self, form: dict[str, Any]) -> AsyncIterator[None]:
        self.price_error, self.price_saved = "", ""
        amount = cents(str(form.get("price", "")))
        if not amount:
            self.price_error = PRICE_HINT
            return
        self.saving = True
        yield
        try:
            body = await api.call(
                TicketPublic,
                "PATCH",
                f"/api/tickets/{self.ticket.id}",
                token=self._token,
                json={"price": {"amount": amount, "currency": self.ticket.currency}},
            )
        except api.ApiError as exc:
            self.price_error = exc.fields.get("price.amount") or exc.message
            return
        finally:
            self.saving = False
        self.ticket = TicketView.of(body)
        self.price_saved = (
            f"Price changed to {self.ticket.list_price_label}: "
            f"buyers pay {self.ticket.price_label}."
        )
        await self._quote_own_price()

    async def apply_live(self, frame: AnyFrame) -> None:
        if not isinstance(frame, TicketMessage) or frame.ticket_id != self.ticket.id:
            return
        view = TicketView.of(frame.ticket)
        if view.version >= self.ticket.version:
            self.server_now_ms = now_ms()
            self.ticket = view

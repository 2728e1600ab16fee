"""My orders, and my listings and the tickets I own (re-list a bought one)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ticketing_ui import api
from ticketing_ui.models import OrderView, TicketView
from ticketing_ui.state.fees import FeeQuoteState
from ticketing_ui.state.market import PRICE_HINT, cents
from ticketing_ui.state.session import SessionState, now_ms
from wire.live import AnyFrame, OrderMessage, TicketMessage
from wire.orders import OrderList
from wire.tickets import TicketList, TicketPublic


class OrdersState(SessionState):
    orders: list[OrderView] = []
    loading: bool = True
    error: str = ""

    @rx.event
    async def load(self) -> Any:
        await self.refresh_session()
        if not self.signed_in:
            return self.redirect_to_sign_in()
        self.loading = True
        await self.fetch()
        return None

    async def fetch(self) -> None:
        self.error = ""
        try:
            body = await api.call(OrderList, "GET", "/api/orders", token=self._token)
            self.orders = [OrderView.of(item) for item in body.items]
        except api.ApiError as exc:
            self.error = exc.message
        finally:
            self.loading = False
            self.tick_clock()

    async def apply_live(self, frame: AnyFrame) -> None:
        if not isinstance(frame, OrderMessage):
            return
        if frame.order.buyer_id != self.user_id:
            return  # a sale of mine: it shows under My tickets
        self.server_now_ms = now_ms()
        for index, current in enumerate(self.orders):
            if current.id == frame.order_id:
                self.orders[index] = current.merged(frame.order)
                return
        await self.fetch()  # a new order (from another tab): its details come from the API


class ListingsState(SessionState):
    selling: list[TicketView] = []
    owned: list[TicketView] = []
    loading: bool = True
    error: str = ""
    relist_id: str = ""
    relist_error: str = ""

    @rx.event
    async def load(self) -> Any:
        await self.refresh_session()
        if not self.signed_in:
            return self.redirect_to_sign_in()
        await self.fetch()
        return None

    async def fetch(self) -> None:
        self.loading, self.error = True, ""
        try:
            body = await api.call(TicketList, "GET", "/api/tickets/mine", token=self._token)
        except api.ApiError as exc:
            self.error = exc.message
            return
        finally:
            self.loading = False
            self.tick_clock()
        views = [TicketView.of(item) for item in body.items]
        self.selling = [t for t in views if t.seller_id == self.user_id]
        self.owned = [
            t for t in views if t.owner_id == self.user_id and t.seller_id != self.user_id
        ]

    @rx.event
    async def start_relist(self, ticket_id: str) -> None:
        """Opens a bought ticket's relist form at the list price it was sold at (what
        buyers paid had the buyer fee on top), with what that comes to."""
        self.relist_id, self.relist_error = ticket_id, ""
        ticket = next((t for t in self.owned if t.id == ticket_id), None)
        fees = await self.get_state(FeeQuoteState)
        if ticket is None:
            fees.forget()
        else:
            await fees.quote(ticket.list_price_typed, ticket.currency)

    @rx.event
    def cancel_relist(self) -> None:
        self.relist_id, self.relist_error = "", ""

    def _currency(self) -> str:
        return next((t.currency for t in self.owned if t.id == self.relist_id), "usd")

    @rx.event
    async def relist(self, form: dict[str, Any]) -> Any:
        amount = cents(str(form.get("price", "")))
        if not amount:
            self.relist_error = PRICE_HINT
            return None
        try:
            ticket = await api.call(
                TicketPublic,
                "POST",
                f"/api/tickets/{self.relist_id}/relist",
                token=self._token,
                json={"price": {"amount": amount, "currency": self._currency()}},
            )
        except api.ApiError as exc:
            self.relist_error = exc.fields.get("price.amount") or exc.message
            return None
        self.relist_id = ""
        self.notify("Your ticket is on sale again.")
        return rx.redirect(f"/tickets/{ticket.id}")

    async def apply_live(self, frame: AnyFrame) -> None:
        if isinstance(frame, TicketMessage):
            view = TicketView.of(frame.ticket)
            self.server_now_ms = now_ms()
            for group in (self.selling, self.owned):
                for index, current in enumerate(group):
                    if current.id == view.id and view.version >= current.version:
                        group[index] = view
        # The wallet on the same page: new door codes (``me``), tickets that changed hands.
        # (imported here: the wallet's state reads this one's tickets)
        from ticketing_ui.state.wallet import WalletState

        await (await self.get_state(WalletState)).apply_live(frame)

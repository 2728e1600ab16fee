"""The wallet (on My tickets): the door code of each ticket I hold, giving one to a friend,
the transfers to me; and a ticket's printable code page (``/tickets/<id>/code``)."""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from ticketing_ui import api
from ticketing_ui.models import TicketView
from ticketing_ui.state.orders import ListingsState
from ticketing_ui.state.session import SessionState
from ticketing_ui.state.ticket import path_id
from ticketing_ui.wallet import IncomingTransfer, WalletCard, pending_by_ticket
from wire.codes import TicketCodePublic, TransferList, TransferPublic, TransferStatus
from wire.live import AnyFrame, CodeIssued, TicketMessage
from wire.tickets import TicketPublic


async def read_card(token: str, ticket: TicketView) -> WalletCard | None:
    """``ticket`` with its door code, or why it shows none; None once it is not mine."""
    card = WalletCard(ticket=ticket)
    try:
        code = await api.call(
            TicketCodePublic, "GET", f"/api/tickets/{ticket.id}/code", token=token
        )
    except api.ApiError as exc:
        if exc.status in (403, 404):
            return None  # given away or sold meanwhile
        return card.without_code(exc.message)
    return card.with_code(code)


async def read_ticket(token: str, ticket_id: str) -> TicketView | None:
    try:
        return TicketView.of(
            await api.call(TicketPublic, "GET", f"/api/tickets/{ticket_id}", token=token)
        )
    except api.ApiError:
        return None


class WalletState(SessionState):
    """Loads after ``ListingsState`` on My tickets: one card per ticket I hold (its
    ``owned``); new codes come live through ``ListingsState.apply_live``."""

    cards: list[WalletCard] = []
    incoming: list[IncomingTransfer] = []
    loading: bool = True
    error: str = ""
    giving_id: str = ""  # the ticket whose "Give to a friend" form is open
    give_error: str = ""
    transfer_error: str = ""

    @rx.event
    async def load(self) -> None:
        self.giving_id = self.give_error = self.transfer_error = ""
        if self.signed_in:  # else ListingsState.load sent the visitor to sign in
            await self.fetch()

    async def fetch(self) -> None:
        self.loading, self.error = True, ""
        listings = await self.get_state(ListingsState)
        try:
            transfers = await api.call(TransferList, "GET", "/api/transfers", token=self._token)
        except api.ApiError as exc:
            self.error = exc.message
            transfers = TransferList(incoming=[], outgoing=[])
        pending = pending_by_ticket(transfers.outgoing)
        cards = await asyncio.gather(*(read_card(self._token, t) for t in listings.owned))
        for card in cards:
            if card is not None and card.ticket.id in pending:
                card.transfer_id = pending[card.ticket.id].id
                card.transfer_to = pending[card.ticket.id].to_email
        incoming = [t for t in transfers.incoming if t.status is TransferStatus.PENDING]
        tickets = await asyncio.gather(*(read_ticket(self._token, t.ticket_id) for t in incoming))
        self.cards = [card for card in cards if card is not None]
        self.incoming = [IncomingTransfer.of(t, v) for t, v in zip(incoming, tickets, strict=True)]
        self.loading = False

    def _index(self, ticket_id: str) -> int | None:
        return next((i for i, c in enumerate(self.cards) if c.ticket.id == ticket_id), None)

    async def _refresh(self, index: int, ticket: TicketView | None = None) -> None:
        """Reads the card's code again (a new one, or none now that it is for sale)."""
        card = self.cards[index]
        shown = ticket if ticket and ticket.version >= card.ticket.version else card.ticket
        fresh = await read_card(self._token, shown)
        if fresh is None:
            del self.cards[index]
        else:
            fresh.transfer_id, fresh.transfer_to = card.transfer_id, card.transfer_to
            self.cards[index] = fresh

    async def apply_live(self, frame: AnyFrame) -> None:
        """After ``ListingsState.apply_live`` (the page's live state) applied ``frame``."""
        if isinstance(frame, CodeIssued):
            index = self._index(frame.ticket_id)
            if index is None:  # a ticket new to me (bought in another tab, given to me)
                await (await self.get_state(ListingsState)).fetch()
                await self.fetch()
            else:
                await self._refresh(index)
        elif isinstance(frame, TicketMessage):
            index = self._index(frame.ticket_id)
            if index is not None:  # relisted, or given away: its code changes or goes
                await self._refresh(index, TicketView.of(frame.ticket))

    # -- giving a ticket to a friend ----------------------------------------------------

    @rx.event
    def start_give(self, ticket_id: str) -> None:
        self.giving_id, self.give_error = ticket_id, ""

    @rx.event
    def cancel_give(self) -> None:
        self.giving_id, self.give_error = "", ""

    @rx.event
    async def give(self, form: dict[str, Any]) -> None:
        email = str(form.get("email", "")).strip()
        if not email:
            self.give_error = "Your friend's e-mail, please."
            return
        try:
            transfer = await api.call(
                TransferPublic,
                "POST",
                f"/api/tickets/{self.giving_id}/transfers",
                token=self._token,
                json={"email": email},
            )
        except api.ApiError as exc:
            self.give_error = exc.fields.get("email") or exc.message
            return
        self.giving_id = ""
        index = self._index(transfer.ticket_id)
        if index is not None:
            card = self.cards[index]
            card.transfer_id, card.transfer_to = transfer.id, transfer.to_email
            self.cards[index] = card

    @rx.event
    async def cancel_transfer(self, transfer_id: str) -> None:
        """Takes back a transfer that its recipient hasn't accepted yet."""
        self.transfer_error = ""
        try:
            await api.send("DELETE", f"/api/transfers/{transfer_id}", token=self._token)
        except api.ApiError as exc:
            self.transfer_error = exc.message
        await self.fetch()  # accepted meanwhile: the ticket is gone from here

    # -- transfers to me ----------------------------------------------------------------

    @rx.event
    async def accept(self, transfer_id: str) -> None:
        self.transfer_error = ""
        try:
            await api.call(
                TransferPublic, "POST", f"/api/transfers/{transfer_id}/accept", token=self._token
            )
        except api.ApiError as exc:
            self.transfer_error = exc.message
        listings = await self.get_state(ListingsState)
        await listings.fetch()
        await self.fetch()

    @rx.event
    async def decline(self, transfer_id: str) -> None:
        self.transfer_error = ""
        try:
            await api.send("DELETE", f"/api/transfers/{transfer_id}", token=self._token)
        except api.ApiError as exc:
            self.transfer_error = exc.message
        self.incoming = [t for t in self.incoming if t.id != transfer_id]


class CodePageState(SessionState):
    """``/tickets/<id>/code``: one ticket's code, large, to print."""

    card: WalletCard = WalletCard()
    loading: bool = True
    error: str = ""

    @rx.event
    async def load(self) -> Any:
        await self.refresh_session()
        if not self.signed_in:
            return self.redirect_to_sign_in()
        self.loading, self.error = True, ""
        ticket = await read_ticket(self._token, path_id(self.router.url.path, "/tickets/"))
        card = None if ticket is None else await read_card(self._token, ticket)
        if card is None:
            self.card, self.error = WalletCard(), "Only the ticket's owner sees its code."
        else:
            self.card = card
            self.error = card.hidden
        self.loading = False
        return None

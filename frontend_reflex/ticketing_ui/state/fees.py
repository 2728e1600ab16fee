"""What a list price comes to, told as the seller types it: "Buyers pay $X · You receive
$Y" (``GET /api/tickets/fees``). One quote per tab, shared by the sell form, the price
edit of a ticket's page and the relist form of My tickets (one of them at a time)."""

from __future__ import annotations

import reflex as rx

from ticketing_ui import api
from ticketing_ui.models import money
from ticketing_ui.state.market import PRICE_HINT, cents


class FeeQuoteState(rx.State):
    currency: str = "usd"
    buyers_pay: str = ""  # "$56.50"; "" while there is no price to quote
    you_receive: str = ""
    error: str = ""  # the API's reason (the price doesn't cover the seller fee), or ours
    _typed: str = ""

    async def quote(self, typed: str, currency: str | None = None) -> None:
        """Quotes ``typed`` (dollars, as the seller types them) in ``currency`` (default:
        the one quoted last)."""
        self._typed, self.currency = typed.strip(), currency or self.currency
        self.buyers_pay = self.you_receive = self.error = ""
        if not self._typed:
            return
        amount = cents(self._typed)
        if not amount:
            self.error = PRICE_HINT
            return
        try:
            breakdown = await api.fees_for(amount, self.currency)
        except api.ApiError as exc:
            self.error = exc.fields.get("price") or exc.message
            return
        self.buyers_pay, self.you_receive = money(breakdown.total), money(breakdown.proceeds)

    @rx.event
    async def price_typed(self, typed: str) -> None:
        await self.quote(str(typed))

    @rx.event
    async def currency_chosen(self, currency: str) -> None:
        await self.quote(self._typed, str(currency))

    def forget(self) -> None:
        self.currency, self._typed = "usd", ""
        self.buyers_pay = self.you_receive = self.error = ""

    @rx.event
    def clear(self) -> None:
        self.forget()

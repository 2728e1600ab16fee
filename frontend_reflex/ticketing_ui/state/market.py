"""The market page: tickets on sale with filters, kept current by live messages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import reflex as rx

from ticketing_ui import api
from ticketing_ui.models import TicketView
from ticketing_ui.state.session import SessionState, now_ms

PAGE_SIZE = 60
SORTS = {"date": "Date", "price": "Price: low to high", "-price": "Price: high to low",
         "newest": "Newest"}  # fmt: skip


PRICE_HINT = "Enter a price such as 75 or 75.50."  # when ``cents`` finds none


def cents(text: str) -> int | None:
    """``"75"`` or ``"75.50"`` (dollars) as cents; ``None`` when empty or not a price."""
    text = text.strip().replace(",", "")
    if not text:
        return None
    try:
        value = round(float(text) * 100)
    except (ValueError, OverflowError):  # "nan", "inf", "1e400"
        return None
    return value if value >= 0 else None


def day_bound(text: str, *, end: bool) -> str | None:
    if not text:
        return None
    try:
        day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None
    return day.replace(hour=23, minute=59, second=59).isoformat() if end else day.isoformat()


def ticket_matches(
    ticket: TicketView,
    *,
    kind: str = "all",
    q: str = "",
    date_from: str = "",
    date_to: str = "",
    min_price: str = "",
    max_price: str = "",
) -> bool:
    """Whether ``ticket`` passes the market's filters (as typed in the form), by the same
    rules as ``GET /api/tickets``: a live listing then shows exactly when a reload would."""
    if kind not in ("all", ticket.kind):
        return False
    needle = q.strip().lower()
    # The API matches the text inside one field (title, event or venue), never across two.
    fields = (ticket.title, ticket.event_name, ticket.venue)
    if needle and not any(needle in field.lower() for field in fields):
        return False
    low, high = cents(min_price), cents(max_price)
    if (low is not None and ticket.amount < low) or (high is not None and ticket.amount > high):
        return False
    after = day_bound(date_from, end=False)
    before = day_bound(date_to, end=True)
    starts = ticket.starts_at
    if after and _instant(starts) < _instant(after):
        return False
    return not (before and _instant(starts) > _instant(before))


class MarketState(SessionState):
    tickets: list[TicketView] = []
    total: int = 0
    loading: bool = True
    error: str = ""
    kind: str = "all"
    q: str = ""
    date_from: str = ""
    date_to: str = ""
    min_price: str = ""
    max_price: str = ""
    sort: str = "date"

    def _params(self) -> dict[str, Any]:
        params: dict[str, Any] = {"pageSize": PAGE_SIZE, "sort": self.sort}
        if self.kind != "all":
            params["kind"] = self.kind
        if self.q.strip():
            params["q"] = self.q.strip()
        if (after := day_bound(self.date_from, end=False)) is not None:
            params["startsAfter"] = after
        if (before := day_bound(self.date_to, end=True)) is not None:
            params["startsBefore"] = before
        if (low := cents(self.min_price)) is not None:
            params["minPrice"] = low
        if (high := cents(self.max_price)) is not None:
            params["maxPrice"] = high
        return params

    def matches(self, ticket: TicketView) -> bool:
        """Whether a ticket that appeared live belongs in the current filtered view."""
        return ticket_matches(
            ticket,
            kind=self.kind,
            q=self.q,
            date_from=self.date_from,
            date_to=self.date_to,
            min_price=self.min_price,
            max_price=self.max_price,
        )

    async def fetch(self) -> None:
        self.loading, self.error = True, ""
        try:
            page = await api.call("GET", "/api/tickets", params=self._params())
        except api.ApiError as exc:
            self.error = exc.message
            self.tickets, self.total = [], 0
        else:
            self.tickets = [TicketView.of(item) for item in page["items"]]
            self.total = int(page["total"])
        finally:
            self.loading = False
            self.tick_clock()

    @rx.event
    async def load(self) -> None:
        await self.refresh_session()
        await self.fetch()

    @rx.event
    async def apply_filters(self, form: dict[str, Any]) -> None:
        self.kind = str(form.get("kind") or "all")
        self.q = str(form.get("q", ""))
        self.date_from = str(form.get("dateFrom", ""))
        self.date_to = str(form.get("dateTo", ""))
        self.min_price = str(form.get("minPrice", ""))
        self.max_price = str(form.get("maxPrice", ""))
        self.sort = str(form.get("sort") or "date")
        await self.fetch()

    @rx.event
    async def clear_filters(self) -> None:
        self.kind, self.q, self.sort = "all", "", "date"
        self.date_from = self.date_to = self.min_price = self.max_price = ""
        await self.fetch()

    async def apply_live(self, message: dict[str, Any]) -> None:
        kind = message.get("type", "")
        self.server_now_ms = now_ms()
        if kind == "snapshot" and message.get("topic") == "tickets":
            fresh = {str(t["id"]): TicketView.of(t) for t in message.get("tickets", [])}
            self.tickets = [fresh.get(t.id, t) for t in self.tickets]
            return
        body = message.get("ticket")
        if not kind.startswith("ticket.") or not isinstance(body, dict):
            return
        view = TicketView.of(body)
        for index, current in enumerate(self.tickets):
            if current.id == view.id:
                if view.version >= current.version:  # an older message than the page
                    self.tickets[index] = view
                return
        if kind == "ticket.listed" and self.matches(view):
            self.tickets = [view, *self.tickets]
            self.total += 1


def _instant(iso: str) -> datetime:
    moment = datetime.fromisoformat(iso)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

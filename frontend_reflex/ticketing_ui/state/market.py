"""The market page: tickets on sale with filters, kept current by live messages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import reflex as rx

from ticketing_ui import api
from ticketing_ui.models import TicketView
from ticketing_ui.state.session import SessionState, now_ms
from wire.live import AnyFrame, Snapshot, TicketMessage
from wire.market import TicketFilter
from wire.tickets import TicketPage
from wire.values import EventKind

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


def day_bound(text: str, *, end: bool) -> datetime | None:
    if not text:
        return None
    try:
        day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None
    return day.replace(hour=23, minute=59, second=59) if end else day


def market_filter(
    *,
    kind: str = "all",
    q: str = "",
    date_from: str = "",
    date_to: str = "",
    min_price: str = "",
    max_price: str = "",
) -> TicketFilter:
    """The market's filters as typed in the form: what ``GET /api/tickets`` is asked, and
    what decides whether a listing that appears live belongs on the page."""
    return TicketFilter(
        # "all", or a value that is no kind (a hand-made request): no kind filter
        kind=next((each for each in EventKind if each.value == kind), None),
        q=q.strip() or None,
        starts_after=day_bound(date_from, end=False),
        starts_before=day_bound(date_to, end=True),
        min_price=cents(min_price),
        max_price=cents(max_price),
    )


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

    def _filter(self) -> TicketFilter:
        return market_filter(
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
            params = {"pageSize": PAGE_SIZE, "sort": self.sort} | self._filter().query_params()
            page = await api.call(TicketPage, "GET", "/api/tickets", params=params)
        except api.ApiError as exc:
            self.error = exc.message
            self.tickets, self.total = [], 0
        else:
            self.tickets = [TicketView.of(item) for item in page.items]
            self.total = page.total
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

    async def apply_live(self, frame: AnyFrame) -> None:
        self.server_now_ms = now_ms()
        if isinstance(frame, Snapshot) and frame.topic == "tickets":
            fresh = {t.id: TicketView.of(t) for t in frame.tickets or []}
            self.tickets = [fresh.get(t.id, t) for t in self.tickets]
            return
        if not isinstance(frame, TicketMessage):
            return
        view = TicketView.of(frame.ticket)
        for index, current in enumerate(self.tickets):
            if current.id == view.id:
                if view.version >= current.version:  # an older message than the page
                    self.tickets[index] = view
                return
        if frame.type == "ticket.listed" and self._filter().matches(frame.ticket):
            self.tickets = [view, *self.tickets]
            self.total += 1

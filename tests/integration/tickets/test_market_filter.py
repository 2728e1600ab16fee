"""The market's filter has one definition (``wire.market.TicketFilter``): the tickets
service's database query and the ``matches`` a client asks of a live listing give the
same answer for every filter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import product

import pytest

from tests.integration.tickets.test_api import MARKET, list_market
from tests.support.api import User
from wire.market import TicketFilter
from wire.tickets import TicketPage, TicketPublic
from wire.values import EventKind

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC)

FILTERS = [
    TicketFilter(),
    *(TicketFilter(kind=kind) for kind in EventKind),
    *(TicketFilter(q=q) for q in ("night", "STADIUM", "table", "ar", "nothing", "blue note")),
    *(
        TicketFilter(min_price=low, max_price=high)
        for low, high in product((None, 1_500, 3_001), (None, 5_000, 8_999))
    ),
    *(
        TicketFilter(starts_after=NOW + timedelta(days=a), starts_before=NOW + timedelta(days=b))
        for a, b in ((0, 6), (6, 30), (19, 21), (30, 400))
    ),
    TicketFilter(kind=EventKind.CONCERT, q="e", max_price=2_000),
]


async def test_the_server_and_the_client_filter_the_market_alike(seller: User) -> None:
    listed = await list_market(seller)
    tickets = [
        TicketPublic.model_validate((await seller.http.get(f"/api/tickets/{ticket_id}")).json())
        for ticket_id in listed.values()
    ]
    assert len(tickets) == len(MARKET)
    for market_filter in FILTERS:
        response = await seller.http.get(
            "/api/tickets", params=market_filter.query_params() | {"pageSize": 100}
        )
        assert response.status_code == 200, (market_filter, response.text)
        served = {ticket.id for ticket in TicketPage.model_validate_json(response.content).items}
        matched = {ticket.id for ticket in tickets if market_filter.matches(ticket)}
        assert served == matched, market_filter

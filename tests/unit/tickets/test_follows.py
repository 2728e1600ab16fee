"""How a ticket follows its event: its copy of the event, and void once cancelled; a copy
made from a newer read of the event is never replaced by an older one."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import cast

import pytest

from backend.tickets.handlers import _follows
from backend.tickets.models import Ticket
from wire.values import Event, EventKind, EventStatus, TicketStatus

pytestmark = pytest.mark.unit

AT = datetime(2030, 5, 1, 20, 0, tzinfo=UTC)


def event(version: int, status: EventStatus = EventStatus.SCHEDULED) -> Event:
    return Event(
        id="e" * 24, name="Gig", kind=EventKind.CONCERT, venue="Club", starts_at=AT,
        status=status, version=version,
    )  # fmt: skip


def ticket(copy: Event, status: TicketStatus = TicketStatus.AVAILABLE) -> Ticket:
    return cast(Ticket, SimpleNamespace(event=copy, status=status))


def test_a_ticket_takes_a_newer_copy_of_its_event() -> None:
    changes = _follows(ticket(event(1)), event(2, EventStatus.POSTPONED))
    assert changes is not None
    assert changes["event"]["status"] == "postponed"
    assert changes["event"]["version"] == 2


def test_an_older_read_of_the_event_never_replaces_a_newer_copy() -> None:
    assert _follows(ticket(event(3, EventStatus.CANCELLED)), event(2)) is None


def test_a_cancelled_events_tickets_become_void_sold_ones_too() -> None:
    # A sold ticket of a cancelled event is no longer valid: its buyer is refunded.
    cancelled = event(2, EventStatus.CANCELLED)
    for status in (TicketStatus.AVAILABLE, TicketStatus.LOCKED, TicketStatus.SOLD):
        changes = _follows(ticket(event(2, EventStatus.CANCELLED), status), cancelled)
        assert changes is not None and changes.get("status") == "void"
    assert _follows(ticket(event(2, EventStatus.CANCELLED), TicketStatus.VOID), cancelled) is None
    assert _follows(ticket(event(2)), event(2)) is None

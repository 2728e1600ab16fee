"""The tickets service: the events catalogue; sellers list and edit tickets; it follows
orders and sales."""

from __future__ import annotations

from starlette.applications import Starlette

from backend.common.endpoint import Endpoint
from backend.common.runtime import Runtime
from backend.common.settings import Settings
from backend.common.user_replica import UserReplica
from backend.common.web import Wiring, service_app
from backend.tickets import routes
from backend.tickets.handlers import TicketHandlers
from backend.tickets.models import EventRecord, Ticket
from backend.tickets.schemas import (
    CreateListingRequest,
    CreateTicketRequest,
    EventIn,
    EventQuery,
    EventStatusRequest,
    FeeQuery,
    ListingQuery,
    RelistRequest,
    TicketQuery,
    UpdateTicketRequest,
)
from wire.events import EventDetail, EventPage, EventPublic
from wire.tickets import ListingPublic, TicketList, TicketOwned, TicketPage, TicketPublic
from wire.values import PriceBreakdown

SERVICE = "tickets"

ENDPOINTS = [
    Endpoint("POST", "/api/tickets", routes.create,
             "List a ticket for sale, for an event of the catalogue or a new one",
             body=CreateTicketRequest, response=TicketPublic, status=201, auth=True,
             errors=(404, 409)),
    Endpoint("POST", "/api/listings", routes.create_listing,
             "List seats of one event together (one ticket each), sold by a split rule",
             body=CreateListingRequest, response=ListingPublic, status=201, auth=True,
             errors=(404, 409)),
    Endpoint("GET", "/api/tickets", routes.search, "Search the market",
             query=TicketQuery, response=TicketPage),
    Endpoint("GET", "/api/tickets/mine", routes.mine, "Tickets I listed or bought",
             response=TicketList, auth=True),
    Endpoint("GET", "/api/tickets/fees", routes.fees,
             "Price a list price: the all-in price buyers pay and what the seller receives",
             query=FeeQuery, response=PriceBreakdown),
    Endpoint("GET", "/api/tickets/{ticket_id}", routes.show,
             "One ticket (its seller and its owner see the buyer and the order)",
             response=TicketOwned, errors=(404,)),
    Endpoint("PUT", "/api/tickets/{ticket_id}", routes.update, "Edit my ticket",
             body=UpdateTicketRequest, response=TicketPublic, auth=True, errors=(403, 404, 409)),
    Endpoint("PATCH", "/api/tickets/{ticket_id}", routes.update, "Edit my ticket",
             body=UpdateTicketRequest, response=TicketPublic, auth=True, errors=(403, 404, 409)),
    Endpoint("POST", "/api/tickets/{ticket_id}/relist", routes.relist, "Sell a bought ticket again",
             body=RelistRequest, response=TicketPublic, auth=True, errors=(403, 404, 409)),
    Endpoint("GET", "/api/events", routes.search_events, "Browse upcoming events",
             query=EventQuery, response=EventPage),
    Endpoint("POST", "/api/events", routes.create_event,
             "Add an event (200 with the existing one when it is a duplicate)",
             body=EventIn, response=EventPublic, status=201, auth=True),
    Endpoint("GET", "/api/events/{event_id}", routes.show_event,
             "One event and its listings, cheapest first",
             query=ListingQuery, response=EventDetail, errors=(404,)),
    Endpoint("POST", "/api/events/{event_id}/status", routes.set_event_status,
             "Postpone, reschedule or cancel an event (operators only)",
             body=EventStatusRequest, response=EventPublic, auth=True, errors=(403, 404, 409)),
]  # fmt: skip


def wire(runtime: Runtime) -> Wiring:
    return Wiring(subscriptions=TicketHandlers(runtime.ticket_locks, runtime.uow).subscriptions())


def create_app(settings: Settings | None = None) -> Starlette:
    return service_app(
        SERVICE,
        settings or Settings(),
        endpoints=ENDPOINTS,
        documents=[Ticket, EventRecord, UserReplica],
        wiring=wire,
    )

"""The tickets service: the events catalogue; sellers list and edit tickets; it follows
orders and sales."""

from __future__ import annotations

import functools

from starlette.applications import Starlette

from backend.common.endpoint import Endpoint
from backend.common.runtime import Runtime
from backend.common.settings import Settings
from backend.common.user_replica import UserReplica
from backend.common.web import Wiring, service_app
from backend.tickets import door_routes, routes
from backend.tickets.codes import EventKey
from backend.tickets.handlers import TicketHandlers, settle
from backend.tickets.models import CheckIn, EventRecord, Ticket
from backend.tickets.recounts import Recounts
from backend.tickets.schemas import (
    CheckInRequest,
    CreateListingRequest,
    CreateTicketRequest,
    EmailRequest,
    EventIn,
    EventQuery,
    EventStatusRequest,
    FeeQuery,
    ListingQuery,
    RelistRequest,
    TicketQuery,
    UpdateTicketRequest,
)
from backend.tickets.transfers import Transfer
from wire.codes import CheckInPublic, ScannerKit, TicketCodePublic, TransferList, TransferPublic
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
    # The ticket itself: its code, transfers to a friend, the door.
    Endpoint("GET", "/api/tickets/{ticket_id}/code", door_routes.my_code,
             "My ticket's door code and its QR code (SVG); hidden while it is for sale",
             response=TicketCodePublic, auth=True, errors=(403, 404, 409)),
    Endpoint("POST", "/api/tickets/{ticket_id}/transfers", door_routes.start_transfer,
             "Give my bought ticket to a friend (by e-mail); they accept it",
             body=EmailRequest, response=TransferPublic, status=201, auth=True,
             errors=(403, 404, 409, 429)),
    Endpoint("GET", "/api/transfers", door_routes.my_transfers,
             "Transfers to me and from me", response=TransferList, auth=True),
    Endpoint("POST", "/api/transfers/{transfer_id}/accept", door_routes.accept_transfer,
             "Accept a ticket given to me: it is mine, with a new code",
             response=TransferPublic, auth=True, errors=(403, 404, 409)),
    Endpoint("DELETE", "/api/transfers/{transfer_id}", door_routes.cancel_transfer,
             "Take back my transfer, or decline one to me",
             response=TransferPublic, auth=True, errors=(403, 404, 409)),
    Endpoint("POST", "/api/checkins", door_routes.check_in,
             "Scan a code at the door: admitted, already used (when) or not valid (why)",
             body=CheckInRequest, response=CheckInPublic, auth=True, errors=(403,)),
    Endpoint("GET", "/api/events/{event_id}/scanner-kit", door_routes.scanner_kit,
             "What a door scanner keeps to check codes offline: the event's public key, "
             "revoked and used codes", response=ScannerKit, auth=True, errors=(403, 404)),
    Endpoint("POST", "/api/events/{event_id}/scanners", door_routes.add_scanner,
             "Let a user scan codes at this event's doors (operators only)",
             body=EmailRequest, response=EventPublic, auth=True, errors=(403, 404)),
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
    every_s = runtime.settings.recount_every_seconds
    settled = functools.partial(settle, runtime.uow)
    recounts = Recounts(runtime.redis, runtime.keys, every_s=every_s, recount=settled)
    handlers = TicketHandlers(runtime.ticket_locks, runtime.uow, recounts)
    return Wiring(
        subscriptions=handlers.subscriptions(), workers={"availability-recounts": recounts.run}
    )


def create_app(settings: Settings | None = None) -> Starlette:
    return service_app(
        SERVICE,
        settings or Settings(),
        endpoints=ENDPOINTS,
        documents=[Ticket, EventRecord, UserReplica, EventKey, CheckIn, Transfer],
        wiring=wire,
    )

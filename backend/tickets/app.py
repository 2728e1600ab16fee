"""The tickets service: sellers list and edit tickets; it follows orders and sales."""

from __future__ import annotations

from starlette.applications import Starlette

from backend.common.endpoint import Endpoint
from backend.common.runtime import Runtime
from backend.common.settings import Settings
from backend.common.user_replica import UserReplica
from backend.common.web import Wiring, service_app
from backend.tickets import routes
from backend.tickets.handlers import TicketHandlers
from backend.tickets.models import Ticket
from backend.tickets.schemas import (
    CreateTicketRequest,
    RelistRequest,
    TicketQuery,
    UpdateTicketRequest,
)
from wire.tickets import TicketList, TicketOwned, TicketPage, TicketPublic

SERVICE = "tickets"

ENDPOINTS = [
    Endpoint("POST", "/api/tickets", routes.create, "List a ticket for sale",
             body=CreateTicketRequest, response=TicketPublic, status=201, auth=True),
    Endpoint("GET", "/api/tickets", routes.search, "Search the market",
             query=TicketQuery, response=TicketPage),
    Endpoint("GET", "/api/tickets/mine", routes.mine, "Tickets I listed or bought",
             response=TicketList, auth=True),
    Endpoint("GET", "/api/tickets/{ticket_id}", routes.show,
             "One ticket (its seller and its owner see the buyer and the order)",
             response=TicketOwned, errors=(404,)),
    Endpoint("PUT", "/api/tickets/{ticket_id}", routes.update, "Edit my ticket",
             body=UpdateTicketRequest, response=TicketPublic, auth=True, errors=(403, 404, 409)),
    Endpoint("PATCH", "/api/tickets/{ticket_id}", routes.update, "Edit my ticket",
             body=UpdateTicketRequest, response=TicketPublic, auth=True, errors=(403, 404, 409)),
    Endpoint("POST", "/api/tickets/{ticket_id}/relist", routes.relist, "Sell a bought ticket again",
             body=RelistRequest, response=TicketPublic, auth=True, errors=(403, 404, 409)),
]  # fmt: skip


def wire(runtime: Runtime) -> Wiring:
    return Wiring(subscriptions=TicketHandlers(runtime.ticket_locks, runtime.uow).subscriptions())


def create_app(settings: Settings | None = None) -> Starlette:
    return service_app(
        SERVICE,
        settings or Settings(),
        endpoints=ENDPOINTS,
        documents=[Ticket, UserReplica],
        wiring=wire,
    )

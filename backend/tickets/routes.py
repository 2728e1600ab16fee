"""HTTP routes of the tickets service: parse, call a use case, respond."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from backend.common.auth import CurrentUser, current_user, require_user
from backend.common.endpoint import respond
from backend.common.errors import Forbidden, parse_body, parse_query
from backend.common.fees import FeeSchedule
from backend.common.rate_limits import Quota, client_address
from backend.common.runtime import runtime_of
from backend.common.user_replica import display_names, has_role
from backend.tickets import catalogue, service
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
from wire.values import Role


async def present(tickets: list[Ticket]) -> list[TicketPublic]:
    names = await display_names(t.seller_id for t in tickets)
    return [
        TicketPublic.model_validate(t).model_copy(update={"seller_name": names.get(t.seller_id)})
        for t in tickets
    ]


async def _one(ticket: Ticket, status: int = 200) -> Response:
    return respond((await present([ticket]))[0], status)


def event_budget(request: Request, user: CurrentUser) -> catalogue.BeforeCreating:
    """Spend one of the user's (and their address's) new events: 429 when spent."""
    runtime = runtime_of(request)
    settings, hour = runtime.settings, 3600
    uses = [
        (Quota("events-user", settings.event_creates_per_user, hour), user.id),
        (Quota("events-ip", settings.event_creates_per_ip, hour), client_address(request)),
    ]

    async def spend() -> None:
        await runtime.rate_limits.spend(uses, "Too many new events; list onto existing ones")

    return spend


async def create(request: Request) -> Response:
    user = require_user(request)
    data = await parse_body(request, CreateTicketRequest)
    ticket = await service.create_ticket(
        seller_id=user.id,
        fees=FeeSchedule.of(runtime_of(request).settings),
        data=data,
        uow=runtime_of(request).uow,
        before_creating=event_budget(request, user),
    )
    return await _one(ticket, 201)


async def create_listing(request: Request) -> Response:
    user = require_user(request)
    data = await parse_body(request, CreateListingRequest)
    listing_id, seats = await service.create_listing(
        seller_id=user.id,
        fees=FeeSchedule.of(runtime_of(request).settings),
        data=data,
        uow=runtime_of(request).uow,
        before_creating=event_budget(request, user),
    )
    return respond(
        ListingPublic(id=listing_id, split=data.split, tickets=await present(seats)), 201
    )


async def search(request: Request) -> Response:
    query = parse_query(request, TicketQuery)
    tickets, total = await service.list_tickets(query)
    page = TicketPage(
        items=await present(tickets), total=total, page=query.page, page_size=query.page_size
    )
    return respond(page)


async def mine(request: Request) -> Response:
    user = require_user(request)
    return respond(TicketList(items=await present(await service.tickets_of(user.id))))


async def fees(request: Request) -> Response:
    query = parse_query(request, FeeQuery)
    priced = service.priced(query.price(), FeeSchedule.of(runtime_of(request).settings))
    return respond(priced["breakdown"])


async def show(request: Request) -> Response:
    ticket = await service.get_ticket(request.path_params["ticket_id"])
    viewer = current_user(request)
    if viewer is None or viewer.id not in (ticket.seller_id, ticket.owner_id):
        return await _one(ticket)  # anyone: no buyer, no order
    # Its seller and its owner see it in full (who bought it, the order on it).
    return respond(TicketOwned.model_validate((await present([ticket]))[0]))


async def update(request: Request) -> Response:
    user = require_user(request)
    data = await parse_body(request, UpdateTicketRequest)
    runtime = runtime_of(request)
    ticket = await service.update_ticket(
        ticket_id=request.path_params["ticket_id"],
        user_id=user.id,
        data=data,
        fees=FeeSchedule.of(runtime.settings),
        locks=runtime.ticket_locks,
        uow=runtime.uow,
    )
    return await _one(ticket)


async def relist(request: Request) -> Response:
    user = require_user(request)
    data = await parse_body(request, RelistRequest)
    runtime = runtime_of(request)
    ticket = await service.relist_ticket(
        ticket_id=request.path_params["ticket_id"],
        user_id=user.id,
        data=data,
        fees=FeeSchedule.of(runtime.settings),
        locks=runtime.ticket_locks,
        uow=runtime.uow,
    )
    return await _one(ticket)


# --------------------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------------------
def present_event(record: EventRecord) -> EventPublic:
    return EventPublic.model_validate(record)


async def search_events(request: Request) -> Response:
    query = parse_query(request, EventQuery)
    records, total = await catalogue.search_events(query)
    items = [present_event(r) for r in records]
    return respond(EventPage(items=items, total=total, page=query.page, page_size=query.page_size))


async def create_event(request: Request) -> Response:
    user = require_user(request)
    data = await parse_body(request, EventIn)
    record, created = await catalogue.find_or_create(
        data, runtime_of(request).uow, event_budget(request, user)
    )
    return respond(present_event(record), 201 if created else 200)


async def show_event(request: Request) -> Response:
    record = await catalogue.get_event(request.path_params["event_id"])
    query = parse_query(request, ListingQuery)
    listings = await present(await catalogue.listings(record, query))
    detail = EventDetail(**dict(present_event(record)), listings=listings)
    return respond(detail)


async def set_event_status(request: Request) -> Response:
    user = require_user(request)
    data = await parse_body(request, EventStatusRequest)
    if not await has_role(user.id, Role.OPERATOR):
        raise Forbidden("Only an operator can postpone or cancel an event")
    record = await catalogue.change_status(
        event_id=request.path_params["event_id"], data=data, uow=runtime_of(request).uow
    )
    return respond(present_event(record))

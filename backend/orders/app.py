"""The orders service: buyers lock tickets by ordering them, and cancel unpaid orders."""

from __future__ import annotations

from starlette.applications import Starlette

from backend.common.endpoint import Endpoint
from backend.common.runtime import Runtime
from backend.common.settings import Settings
from backend.common.user_replica import UserReplica
from backend.common.web import Wiring, service_app
from backend.orders import routes
from backend.orders.cards import TicketCards
from backend.orders.fairness import FirstLooks
from backend.orders.handlers import OrderHandlers
from backend.orders.models import Order, TicketReplica
from backend.orders.schemas import CreateOrderRequest
from wire.orders import OrderList, OrderPublic

SERVICE = "orders"

ENDPOINTS = [
    # 409 also when the buyer already holds MAX_OPEN_ORDERS_PER_USER unpaid orders; 429 for
    # the rate limits and the re-hold cooldown (Retry-After, RateLimit-* on every answer).
    Endpoint("POST", "/api/orders", routes.create, "Start a purchase: locks the ticket",
             body=CreateOrderRequest, response=OrderPublic, status=201, auth=True,
             errors=(404, 409, 429), route_checks_session=True),
    Endpoint("GET", "/api/orders", routes.index, "My orders, newest first",
             response=OrderList, auth=True),
    Endpoint("GET", "/api/orders/{order_id}", routes.show, "One of my orders",
             response=OrderPublic, auth=True, errors=(403, 404)),
    Endpoint("DELETE", "/api/orders/{order_id}", routes.cancel, "Cancel my unpaid order",
             response=OrderPublic, auth=True, errors=(403, 404, 409)),
]  # fmt: skip


def wire(runtime: Runtime) -> Wiring:
    cards = TicketCards(runtime.redis, runtime.keys)
    handlers = OrderHandlers(runtime.ticket_locks, runtime.uow, cards)
    looks = FirstLooks(runtime, cards)
    return Wiring(subscriptions=handlers.subscriptions(), state={"first_looks": looks})


def create_app(settings: Settings | None = None) -> Starlette:
    return service_app(
        SERVICE,
        settings or Settings(),
        endpoints=ENDPOINTS,
        documents=[Order, TicketReplica, UserReplica],
        wiring=wire,
    )

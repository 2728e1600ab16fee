"""The live gateway: ``GET /api/live`` WebSocket for browsers and bots."""

from __future__ import annotations

from broadcaster import Broadcast
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from backend.common.runtime import Runtime
from backend.common.settings import Settings
from backend.common.user_replica import UserReplica
from backend.common.web import Wiring, service_app
from backend.live.handlers import LiveHandlers
from backend.live.hub import Hub
from backend.live.journal import Journal
from backend.live.pubsub import RedisPubSubBackend
from backend.live.routes import live

SERVICE = "live"


def wire(runtime: Runtime) -> Wiring:
    journal = Journal(runtime.redis, runtime.keys, history=runtime.settings.live_history)
    broadcast = Broadcast(backend=RedisPubSubBackend(runtime.settings.redis_url))
    hub = Hub(journal, broadcast, runtime.keys.live_channel())
    return Wiring(
        subscriptions=LiveHandlers(journal).subscriptions(),
        workers={"hub": hub.run},
        state={"hub": hub, "journal": journal},
    )


def create_app(settings: Settings | None = None) -> Starlette:
    return service_app(
        SERVICE,
        settings or Settings(),
        endpoints=[],
        documents=[UserReplica],
        wiring=wire,
        extra_routes=[WebSocketRoute("/api/live", live)],
    )

"""Declaring a service's HTTP surface once: routes, OpenAPI document, health and metrics."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from beanie import Document
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from backend.common.auth import JWTAuthBackend
from backend.common.bus import Subscriptions
from backend.common.collector import settle_after_start
from backend.common.endpoint import Endpoint, RouteHandler
from backend.common.errors import EXCEPTION_HANDLERS, ErrorItem, error_response
from backend.common.logs import configure_logging
from backend.common.middleware import BodyLimitMiddleware, RequestContextMiddleware
from backend.common.openapi import openapi_document
from backend.common.origins import OriginMiddleware, allowed_origins
from backend.common.runtime import Runtime, open_runtime, runtime_of
from backend.common.settings import Settings


def endpoint_routes(endpoints: Sequence[Endpoint]) -> list[Route]:
    """One Starlette route per path, dispatching on method (so 405 is answered properly)."""
    by_path: dict[str, dict[str, RouteHandler]] = defaultdict(dict)
    for ep in endpoints:
        by_path[ep.path][ep.method] = ep.handler
    routes = []
    for path, handlers in by_path.items():
        routes.append(Route(path, _dispatch(handlers), methods=sorted(handlers)))
    return routes


def _dispatch(handlers: dict[str, RouteHandler]) -> RouteHandler:
    if len(handlers) == 1:
        return next(iter(handlers.values()))

    async def dispatch(request: Request) -> Response:
        return await handlers[request.method](request)

    return dispatch


async def healthz(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    runtime = runtime_of(request)
    checks: dict[str, str] = {}
    try:
        await runtime.mongo.admin.command("ping")
        checks["mongo"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        checks["mongo"] = f"error: {type(exc).__name__}"
    try:
        await runtime.redis.ping()  # type: ignore[misc]  # redis-py 7 stubs: sync|async union
        checks["redis"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["redis"] = f"error: {type(exc).__name__}"
    if all(value == "ok" for value in checks.values()):
        return JSONResponse({"status": "ready", "checks": checks})
    return error_response(
        503, [ErrorItem(message=f"{name}: {value}") for name, value in checks.items()]
    )


@dataclass(frozen=True, slots=True)
class Wiring:
    """What a service runs besides its routes, built from its runtime in the lifespan."""

    subscriptions: Subscriptions = ()
    workers: Mapping[str, Callable[[], Awaitable[None]]] = field(default_factory=dict)
    # Extra objects for the routes, read from ``request.state`` (e.g. a payment gateway).
    state: Mapping[str, object] = field(default_factory=dict)
    # Called when the app stops, after the workers (e.g. closing an HTTP client).
    on_close: Sequence[Callable[[], Awaitable[None]]] = ()


def service_app(
    service: str,
    settings: Settings,
    *,
    endpoints: Sequence[Endpoint],
    documents: Sequence[type[Document]],
    wiring: Callable[[Runtime], Wiring] | None = None,
    extra_routes: Sequence[BaseRoute] = (),
) -> Starlette:
    """A service's Starlette app: its endpoints, the common middleware, errors and
    operational routes, and a lifespan that opens its clients and starts its outbox relay,
    its event consumer (``Wiring.subscriptions``: event type → handler) and workers.
    """
    configure_logging(level=settings.log_level, json=settings.log_json)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[dict[str, object]]:
        async with open_runtime(service, settings, documents) as runtime:
            wired = wiring(runtime) if wiring else Wiring()
            runtime.start("outbox-relay", runtime.relay.run)
            if wired.subscriptions:
                runtime.start("consumer", runtime.consumer(wired.subscriptions).run)
            for name, run in wired.workers.items():
                runtime.start(name, run)
            settle_after_start()  # what the start built is not walked by the collector again
            try:
                yield {**wired.state, "runtime": runtime}
            finally:
                await runtime.stop_tasks()
                for close in wired.on_close:
                    await close()

    registry = CollectorRegistry()
    document = openapi_document(service, endpoints)

    async def metrics(_: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    async def openapi(_: Request) -> Response:
        return JSONResponse(document)

    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
        *endpoint_routes(endpoints),
        *extra_routes,
    ]
    middleware = [
        Middleware(RequestContextMiddleware, service=service, registry=registry),
        # Before anything reads the body or the session: another site's page is refused.
        Middleware(
            OriginMiddleware,
            allowed=allowed_origins(settings.public_url, settings.extra_origins),
        ),
        Middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes),
        Middleware(
            AuthenticationMiddleware,
            backend=JWTAuthBackend(
                settings.jwt_key,
                routes_check=frozenset(
                    (e.method, e.path) for e in endpoints if e.route_checks_session
                ),
            ),
        ),
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False  # /api/users/signup/ is a 404, not a 307
    return app

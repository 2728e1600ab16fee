"""One origin for the local run: a small reverse proxy routing by the Ingress.

In Kubernetes ingress-nginx does this; locally the same route table
(``deploy/k8s/ingress.yaml``, read by ``ticketing_ui.ingress``) sends each prefix to the
local address of the service it names, and the same security headers (the ConfigMap the
Ingresses name in ``nginx.ingress.kubernetes.io/custom-headers``) go on every answer.

A path is routed only when it is canonical: no ``.``/``..`` segment (also percent-encoded),
no empty segment (``//``), no backslash — anything else is answered 400, so a path can
never leave the prefix it was routed by. The services' operational routes (``/metrics``,
``/readyz``, ``/healthz``, ``/openapi.json``) sit outside every prefix and are answered 404
here, as behind the ingress (the web app has none of them).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from http.cookiejar import Cookie, CookieJar
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx
import yaml
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.typing import Subprotocol

from ticketing_ui import ingress

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
    # uvicorn adds its own:
    "date",
    "server",
}


# Close codes that only report what happened locally and must never be sent in a frame:
# 1005 no code given, 1006 connection dropped, 1015 TLS failure (RFC 6455, 7.4.1).
UNSENDABLE_CLOSE_CODES = frozenset({1005, 1006, 1015})

INGRESS = Path(__file__).resolve().parents[2] / "deploy/k8s/ingress.yaml"
# The ConfigMap of response headers the Ingresses name (custom-headers annotation).
CUSTOM_HEADERS = "nginx.ingress.kubernetes.io/custom-headers"
# Each service's operational routes: for the cluster's probes and Prometheus, not the public.
INTERNAL_PATHS = frozenset({"/metrics", "/readyz", "/healthz", "/openapi.json"})
# ingress-nginx sends HSTS itself on https (its ``hsts`` default); the gateway does the same.
HSTS = "max-age=31536000; includeSubDomains"
# The CSP directives Stripe.js needs: its script, its API calls, its card iframes.
STRIPE_DIRECTIVES = ("script-src", "connect-src", "frame-src")


def _not_found() -> JSONResponse:
    return JSONResponse({"errors": [{"message": "Not found", "field": None}]}, 404)


def refusal(scope: Scope) -> JSONResponse | None:
    """The answer to a request the gateway does not route (None: route it)."""
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
    problem = path_problem(raw_path.partition(b"?")[0])
    if problem is not None:
        return JSONResponse({"errors": [{"message": problem, "field": None}]}, 400)
    if scope["path"].rstrip("/") in INTERNAL_PATHS:
        return _not_found()
    return None


def path_problem(raw_path: bytes) -> str | None:
    """Why a request path may not be routed (None: it is canonical)."""
    text = raw_path.decode("latin-1")
    decoded = text
    for _ in range(3):  # %252e%252e too: whoever decodes it again must not find ``..``
        decoded = unquote(decoded, encoding="latin-1")
        if "\\" in decoded:
            return "backslashes are not allowed in a path"
        segments = decoded.split("/")[1:]
        if any(segment in (".", "..") for segment in segments):
            return "'.' and '..' segments are not allowed in a path"
        if "" in segments[:-1]:  # a trailing slash is fine, '//' is not
            return "empty segments ('//') are not allowed in a path"
    if not text.startswith("/"):
        return "a path starts with '/'"
    return None


def security_headers(manifest: str, *, stripe_sources: Sequence[str] = ()) -> dict[str, str]:
    """The response headers the Ingresses send (their custom-headers ConfigMap in
    ``manifest``); ``stripe_sources`` are added to the CSP where Stripe.js needs them (the
    local run's localstripe serves its emulation of Stripe.js)."""
    docs = [doc for doc in yaml.safe_load_all(manifest) if isinstance(doc, dict)]
    names = {
        str(doc["metadata"]["annotations"][CUSTOM_HEADERS]).rpartition("/")[2]
        for doc in docs
        if doc.get("kind") == "Ingress" and CUSTOM_HEADERS in doc["metadata"].get("annotations", {})
    }
    if len(names) != 1:
        raise ValueError(f"the Ingresses must name one custom-headers ConfigMap, not {names}")
    [data] = [
        dict(doc.get("data", {}))
        for doc in docs
        if doc.get("kind") == "ConfigMap" and doc["metadata"]["name"] in names
    ]
    headers = {str(name): str(value) for name, value in data.items()}
    if stripe_sources:
        headers["Content-Security-Policy"] = _with_sources(
            headers["Content-Security-Policy"], STRIPE_DIRECTIVES, stripe_sources
        )
    return headers


def _with_sources(policy: str, directives: Sequence[str], sources: Sequence[str]) -> str:
    parts = []
    for directive in (part.strip() for part in policy.split(";") if part.strip()):
        name, *values = directive.split()
        if name in directives:
            values += [source for source in sources if source not in values]
        parts.append(" ".join([name, *values]))
    return "; ".join(parts)


def dev_stripe_sources(environ: Mapping[str, str]) -> tuple[str, ...]:
    """Where the local run's Stripe.js comes from: ``STRIPE_API_BASE``'s origin; unset, the
    runner's localstripe on a loopback port picked at start; empty, real Stripe (already in
    the policy)."""
    base = environ.get("STRIPE_API_BASE")
    if base is None:
        return ("http://127.0.0.1:*",)
    if not base:
        return ()
    parts = urlsplit(base)
    return (f"{parts.scheme}://{parts.netloc}",)


class SecurityHeadersMiddleware:
    """The security headers on every HTTP answer, the upstream's own of those names
    replaced; HSTS only on https."""

    def __init__(self, app: ASGIApp, *, headers: Mapping[str, str]) -> None:
        self.app = app
        self.headers = [
            (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()
        ]
        self.names = {name for name, _ in self.headers} | {b"strict-transport-security"}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = list(self.headers)
        if scope.get("scheme") == "https":
            extra.append((b"strict-transport-security", HSTS.encode()))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() not in self.names
                ]
                message["headers"] = [*kept, *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _NoCookies(CookieJar):
    """The gateway is shared by every user: it must never keep anyone's cookies."""

    def set_cookie(self, cookie: Cookie) -> None:
        return None

    def extract_cookies(self, response: object, request: object) -> None:
        return None


def create_gateway(
    routes: Sequence[ingress.Route],
    upstreams: Mapping[str, str],
    *,
    headers: Mapping[str, str] | None = None,
) -> Starlette:
    """``routes`` (longest prefix first) name services; ``upstreams`` maps a service name
    to its local base URL. A path whose service is not running is answered 404.
    ``headers``: the security headers (default: the Ingress manifest's, with the local
    run's Stripe.js allowed)."""
    state: dict[str, httpx.AsyncClient] = {}
    if headers is None:
        headers = security_headers(
            INGRESS.read_text(), stripe_sources=dev_stripe_sources(os.environ)
        )

    def pick_upstream(path: str) -> str | None:
        route = ingress.route_for(path, routes)
        return upstreams.get(route.service) if route else None

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with httpx.AsyncClient(
            timeout=httpx.Timeout(60.0), follow_redirects=False, cookies=_NoCookies()
        ) as c:
            state["client"] = c
            yield

    async def proxy(request: Request) -> Response:
        refused = refusal(request.scope)
        if refused is not None:
            return refused
        upstream = pick_upstream(request.url.path)
        if upstream is None:
            return _not_found()
        headers = [
            (k, v)
            for k, v in request.headers.items()
            # The gateway states the forwarding itself: a client's own would come first.
            if k.lower() not in HOP_BY_HOP and not k.lower().startswith("x-forwarded-")
        ]
        # As ingress-nginx does: upstreams see the public Host, so the redirects they build
        # (e.g. the web app's trailing-slash ones) stay on this origin.
        if "host" in request.headers:
            headers.append(("host", request.headers["host"]))
        headers.append(("x-forwarded-host", request.headers.get("host", "")))
        headers.append(("x-forwarded-for", request.client.host if request.client else ""))
        headers.append(("x-forwarded-proto", request.url.scheme))
        # The path as the client sent it (still percent-encoded): decoded, a %00 or %2F
        # would change meaning or make no valid URL.
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        url = httpx.URL(upstream).copy_with(raw_path=raw_path + _query(request))
        # Buffered (bodies are small), so that httpx can replay it on a fresh connection.
        outgoing = state["client"].build_request(
            request.method, url, headers=headers, content=await request.body()
        )
        try:
            answer = await state["client"].send(outgoing, stream=True)
        except httpx.TransportError:
            return JSONResponse(
                {"errors": [{"message": "Service unavailable", "field": None}]}, 502
            )
        out_headers = [
            (k, v) for k, v in answer.headers.multi_items() if k.lower() not in HOP_BY_HOP
        ]
        response = StreamingResponse(
            answer.aiter_raw(),
            status_code=answer.status_code,
            background=BackgroundTask(answer.aclose),
        )
        response.raw_headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in out_headers]
        return response

    async def proxy_websocket(websocket: WebSocket) -> None:
        upstream = pick_upstream(websocket.url.path)
        if refusal(websocket.scope) is not None or upstream is None:
            await websocket.close(code=1008, reason="no such endpoint")
            return
        target = "ws" + upstream.removeprefix("http") + websocket.url.path
        if websocket.url.query:
            target += "?" + websocket.url.query
        forwarded = {
            name: value
            for name, value in websocket.headers.items()
            if name.lower() in ("cookie", "authorization", "origin", "user-agent")
        }
        offered = [Subprotocol(name) for name in websocket.scope.get("subprotocols", [])]
        try:
            upstream_ws = await ws_connect(
                target, additional_headers=forwarded, subprotocols=offered or None, max_size=None
            )
        except (OSError, InvalidHandshake):
            await websocket.close(code=1011, reason="service unavailable")
            return
        await websocket.accept(subprotocol=upstream_ws.subprotocol)  # what upstream chose
        async with upstream_ws:
            await _pipe(websocket, upstream_ws)

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]
    return Starlette(
        routes=[
            Route("/{path:path}", proxy, methods=methods),
            WebSocketRoute("/{path:path}", proxy_websocket),
        ],
        middleware=[Middleware(SecurityHeadersMiddleware, headers=headers)],
        lifespan=lifespan,
    )


async def _pipe(client: WebSocket, upstream: ClientConnection) -> None:
    """Copy frames both ways until one side closes; pass the close code and reason on."""

    async def client_to_upstream() -> None:
        while True:
            message = await client.receive()
            if message["type"] == "websocket.disconnect":
                return
            if message.get("text") is not None:
                await upstream.send(message["text"])
            elif message.get("bytes") is not None:
                await upstream.send(message["bytes"])

    async def upstream_to_client() -> None:
        with contextlib.suppress(ConnectionClosed):
            async for data in upstream:
                if isinstance(data, str):
                    await client.send_text(data)
                else:
                    await client.send_bytes(data)

    tasks = [asyncio.create_task(client_to_upstream()), asyncio.create_task(upstream_to_client())]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    if tasks[1] in done:  # the service closed: tell the client why
        code = upstream.close_code or 1000
        if code in UNSENDABLE_CLOSE_CODES:  # no close frame came: the service went away
            code = 1000 if code == 1005 else 1011
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await client.close(code=code, reason=upstream.close_reason or "")
    else:
        await upstream.close()


def _query(request: Request) -> bytes:
    query = request.scope.get("query_string", b"")
    return b"?" + query if query else b""


def create_gateway_from_env() -> Starlette:
    """Factory for uvicorn: ``GATEWAY_INGRESS`` (the manifest's path) and
    ``GATEWAY_UPSTREAMS="auth=http://127.0.0.1:9001,..."`` (service name = local URL)."""
    pairs = (item.split("=", 1) for item in os.environ["GATEWAY_UPSTREAMS"].split(",") if item)
    manifest = Path(os.environ["GATEWAY_INGRESS"])
    headers = security_headers(manifest.read_text(), stripe_sources=dev_stripe_sources(os.environ))
    return create_gateway(ingress.read_ingress(manifest), dict(pairs), headers=headers)

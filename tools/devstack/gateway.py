"""One origin for the local run: a small reverse proxy routing by the Ingress.

In Kubernetes ingress-nginx does this; locally the same route table
(``deploy/k8s/ingress.yaml``, read by ``ticketing_ui.ingress``) sends each prefix to the
local address of the service it names.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from http.cookiejar import Cookie, CookieJar

import httpx
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
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


class _NoCookies(CookieJar):
    """The gateway is shared by every user: it must never keep anyone's cookies."""

    def set_cookie(self, cookie: Cookie) -> None:
        return None

    def extract_cookies(self, response: object, request: object) -> None:
        return None


def create_gateway(routes: Sequence[ingress.Route], upstreams: Mapping[str, str]) -> Starlette:
    """``routes`` (longest prefix first) name services; ``upstreams`` maps a service name
    to its local base URL. A path whose service is not running is answered 404."""
    state: dict[str, httpx.AsyncClient] = {}

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
        upstream = pick_upstream(request.url.path)
        if upstream is None:
            return JSONResponse({"errors": [{"message": "Not found", "field": None}]}, 404)
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
        if upstream is None:
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
    import os
    from pathlib import Path

    pairs = (item.split("=", 1) for item in os.environ["GATEWAY_UPSTREAMS"].split(",") if item)
    routes = ingress.read_ingress(Path(os.environ["GATEWAY_INGRESS"]))
    return create_gateway(routes, dict(pairs))

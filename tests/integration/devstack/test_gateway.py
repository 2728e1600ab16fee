"""The local runner's one-origin gateway in front of tiny upstream apps: what it passes on
(HTTP and WebSocket) and what it must not (one user's cookies to another)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection
from websockets.asyncio.server import serve as ws_serve
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Subprotocol

from tests.support.errors import error_items
from tests.support.servers import serve
from ticketing_ui.ingress import Route as IngressRoute
from tools.devstack.gateway import create_gateway
from tools.devstack.processes import free_port

pytestmark = pytest.mark.integration

SUPPORTED = ("chat.v2", "chat.v1")  # the upstream's preference


async def echo(request: Request) -> Response:
    """What the upstream was sent."""
    return JSONResponse(
        {
            "service": request.url.path.split("/")[1],
            "method": request.method,
            "path": request.url.path,
            "query": request.url.query,
            "body": (await request.body()).decode(),
            "host": request.headers.getlist("host"),
            "forwardedHost": request.headers.getlist("x-forwarded-host"),
            "forwardedFor": request.headers.getlist("x-forwarded-for"),
            "forwardedProto": request.headers.getlist("x-forwarded-proto"),
            "cookie": request.headers.get("cookie"),
        }
    )


async def sign_in(request: Request) -> Response:
    response = JSONResponse({"signedIn": request.query_params["who"]})
    response.set_cookie("session", request.query_params["who"], httponly=True)
    return response


async def moved(_: Request) -> Response:
    return RedirectResponse("/svc/echo?from=moved", status_code=303)


async def chat(websocket: WebSocket) -> None:
    """Says which subprotocols it was offered and chose, echoes, and closes on "bye"."""
    offered = list(websocket.scope.get("subprotocols", []))
    chosen = next((name for name in SUPPORTED if name in offered), None)
    await websocket.accept(subprotocol=chosen)
    await websocket.send_json({"offered": offered, "chosen": chosen})
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        if message.get("bytes") is not None:
            await websocket.send_bytes(message["bytes"][::-1])
        elif message["text"] == "bye":
            await websocket.close(code=4001, reason="see you")
            return
        else:
            await websocket.send_text(f"echo: {message['text']}")


def upstream_app() -> Starlette:
    return Starlette(
        routes=[
            Route("/svc/signin", sign_in, methods=["POST"]),
            Route("/svc/moved", moved),
            Route("/svc/{rest:path}", echo, methods=["GET", "POST"]),
            WebSocketRoute("/svc/chat", chat),
            Route("/{rest:path}", echo),  # as the fallback (the web app)
        ]
    )


# As the Ingress manifest reads: ``/svc`` to its service, ``/`` to the web app.
ROUTES = (IngressRoute("/svc", "svc", 8000), IngressRoute("", "web", 3000))


@asynccontextmanager
async def routed(*, fallback: bool) -> AsyncIterator[str]:
    """A gateway sending ``/svc`` (and, with ``fallback``, everything else) upstream."""
    async with AsyncExitStack() as exits:
        upstream = await exits.enter_async_context(serve(upstream_app()))
        routes = ROUTES if fallback else ROUTES[:1]
        app = create_gateway(routes, {"svc": upstream, "web": upstream})
        yield await exits.enter_async_context(serve(app))


@pytest.fixture
async def gateway() -> AsyncIterator[str]:
    async with routed(fallback=True) as url:
        yield url


@asynccontextmanager
async def client(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
        yield http


def ws_url(base_url: str, path: str) -> str:
    return base_url.replace("http://", "ws://", 1) + path


# -- HTTP -----------------------------------------------------------------------------------
async def test_upstream_gets_method_path_query_and_body(gateway: str) -> None:
    async with client(gateway) as http:
        response = await http.post("/svc/things/1", params={"a": "1", "b": "x y"}, content="hi")
    assert response.status_code == 200
    seen = response.json()
    assert (seen["method"], seen["path"], seen["body"]) == ("POST", "/svc/things/1", "hi")
    assert seen["query"] == "a=1&b=x+y"


async def test_upstream_sees_the_public_host_and_forwarded_headers(gateway: str) -> None:
    async with client(gateway) as http:
        response = await http.get("/svc/echo", headers={"host": "tickets.example.com"})
    seen = response.json()
    assert seen["host"] == ["tickets.example.com"]
    assert seen["forwardedHost"] == ["tickets.example.com"]
    assert seen["forwardedFor"] == ["127.0.0.1"]
    assert seen["forwardedProto"] == ["http"]


async def test_forwarded_headers_from_the_client_are_replaced_not_passed_on(gateway: str) -> None:
    spoofed = {
        "x-forwarded-for": "203.0.113.9",
        "x-forwarded-host": "evil.example",
        "x-forwarded-proto": "https",
    }
    async with client(gateway) as http:
        seen = (await http.get("/svc/echo", headers=spoofed)).json()
    # One value each, stated by the gateway. (What it states for the client's address and
    # scheme is uvicorn's to decide: by default it trusts such headers from loopback.)
    assert len(seen["forwardedFor"]) == 1
    assert seen["forwardedHost"] == seen["host"] != ["evil.example"]
    assert len(seen["forwardedProto"]) == 1


async def test_a_relative_redirect_passes_through_unchanged(gateway: str) -> None:
    async with client(gateway) as http:
        response = await http.get("/svc/moved")
    assert response.status_code == 303
    assert response.headers["location"] == "/svc/echo?from=moved"


async def test_unrouted_paths_go_to_the_fallback(gateway: str) -> None:
    async with client(gateway) as http:
        seen = (await http.get("/market/today")).json()
    assert seen["path"] == "/market/today"


async def test_a_prefix_matches_whole_segments_only() -> None:
    async with routed(fallback=False) as url, client(url) as http:
        response = await http.get("/svcx/echo")
    error_items(response, 404)


async def test_unknown_prefix_without_fallback_is_404_in_the_error_structure() -> None:
    async with routed(fallback=False) as url, client(url) as http:
        response = await http.get("/nowhere")
    assert error_items(response, 404) == [{"message": "Not found", "field": None}]


async def test_upstream_down_is_502_in_the_error_structure() -> None:
    nobody = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    gateway = create_gateway(ROUTES[:1], {"svc": nobody})
    async with serve(gateway) as url, client(url) as http:
        response = await http.get("/svc/echo")
    assert error_items(response, 502) == [{"message": "Service unavailable", "field": None}]


async def test_cookies_set_for_one_client_never_reach_another(gateway: str) -> None:
    async with client(gateway) as alice, client(gateway) as bob:
        signed_in = await alice.post("/svc/signin", params={"who": "alice"})
        assert signed_in.cookies["session"] == "alice"  # Set-Cookie reaches its client
        assert (await alice.get("/svc/echo")).json()["cookie"] == "session=alice"
        assert (await bob.get("/svc/echo")).json()["cookie"] is None
        await bob.post("/svc/signin", params={"who": "bob"})
        assert (await alice.get("/svc/echo")).json()["cookie"] == "session=alice"
        assert (await bob.get("/svc/echo")).json()["cookie"] == "session=bob"


# -- WebSocket ------------------------------------------------------------------------------
async def test_websocket_text_and_binary_frames_go_both_ways(gateway: str) -> None:
    async with connect(ws_url(gateway, "/svc/chat")) as ws:
        await ws.recv()  # the upstream's hello
        await ws.send("hello")
        assert await ws.recv() == "echo: hello"
        await ws.send(b"\x01\x02\x03")
        assert await ws.recv() == b"\x03\x02\x01"


async def test_websocket_subprotocol_offered_reaches_upstream_and_its_choice_comes_back(
    gateway: str,
) -> None:
    offered = [Subprotocol("chat.v1"), Subprotocol("chat.v2")]
    async with connect(ws_url(gateway, "/svc/chat"), subprotocols=offered) as ws:
        hello = await ws.recv()
        assert ws.subprotocol == "chat.v2"  # the upstream's preference, not the first offered
    assert json.loads(hello) == {"offered": ["chat.v1", "chat.v2"], "chosen": "chat.v2"}


async def test_websocket_without_subprotocol_gets_none(gateway: str) -> None:
    async with connect(ws_url(gateway, "/svc/chat")) as ws:
        hello = await ws.recv()
        assert ws.subprotocol is None
    assert json.loads(hello) == {"offered": [], "chosen": None}


async def test_websocket_close_code_and_reason_from_upstream_reach_the_client(
    gateway: str,
) -> None:
    async with connect(ws_url(gateway, "/svc/chat")) as ws:
        await ws.recv()
        await ws.send("bye")
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4001, "see you")


async def test_websocket_upstream_that_drops_the_connection_closes_the_client_with_1011() -> None:
    async def drop(connection: ServerConnection) -> None:
        await connection.send("hi")
        connection.transport.abort()  # no close frame: the service died

    port = free_port()
    async with ws_serve(drop, "127.0.0.1", port):
        gateway = create_gateway(ROUTES[:1], {"svc": f"http://127.0.0.1:{port}"})
        async with serve(gateway) as url, connect(ws_url(url, "/svc/x")) as ws:
            assert await ws.recv() == "hi"
            with pytest.raises(ConnectionClosed) as closed:
                await ws.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1011


async def test_websocket_to_an_unknown_prefix_is_refused() -> None:
    async with routed(fallback=False) as url:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(ws_url(url, "/nowhere")):
                pass
    assert refused.value.response.status_code == 403


# -- paths and headers ----------------------------------------------------------------------
async def raw_get(base_url: str, path: str) -> tuple[int, dict[str, str], bytes]:
    """``GET path`` sent byte for byte (HTTP clients resolve ``..`` before sending)."""
    host, port = base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body


LEAVING_PATHS = [
    "/svc/../metrics",
    "/svc/%2e%2e/metrics",
    "/svc/%2E%2e/readyz",
    "/svc/.%2e/openapi.json",
    "/svc/%252e%252e/metrics",
    "/svc//../metrics",
    "//metrics",
    "/svc//things",
    "/svc/./things",
    "/svc\\..\\metrics",
    "/svc/%5c..%5cmetrics",
]


@pytest.mark.parametrize("path", LEAVING_PATHS)
async def test_a_path_that_is_not_canonical_is_refused(gateway: str, path: str) -> None:
    status, headers, body = await raw_get(gateway, path)
    assert status == 400, (path, body)
    assert headers["content-type"] == "application/json"
    [item] = json.loads(body)["errors"]
    assert item["field"] is None and item["message"]


@pytest.mark.parametrize("path", ["/metrics", "/readyz", "/healthz", "/openapi.json", "/metrics/"])
async def test_operational_routes_are_not_public(gateway: str, path: str) -> None:
    status, _, body = await raw_get(gateway, path)
    assert status == 404, (path, body)
    assert json.loads(body) == {"errors": [{"message": "Not found", "field": None}]}


async def test_a_canonical_path_still_reaches_its_upstream(gateway: str) -> None:
    status, _, body = await raw_get(gateway, "/svc/a/b.c/?q=..")
    assert status == 200
    assert b'"path":"/svc/a/b.c/"' in body  # (streamed: chunked)


EXPECTED_HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
}


@pytest.mark.parametrize("path", ["/svc/echo", "/", "/nowhere/../x", "/metrics"])
async def test_every_answer_carries_the_security_headers(gateway: str, path: str) -> None:
    """The API's, the web app's and the gateway's own answers (errors too)."""
    _, headers, _ = await raw_get(gateway, path)
    for name, value in EXPECTED_HEADERS.items():
        assert headers.get(name) == value, (path, name, headers)
    policy = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert "default-src 'self'" in policy
    assert "strict-transport-security" not in headers  # http: no HSTS


async def test_an_upstream_cannot_weaken_the_security_headers() -> None:
    async def framable(_: Request) -> Response:
        return Response("hi", headers={"X-Frame-Options": "ALLOWALL"})

    app = Starlette(routes=[Route("/svc/framable", framable)])
    async with serve(app) as upstream, serve(create_gateway(ROUTES[:1], {"svc": upstream})) as gw:
        _, headers, _ = await raw_get(gw, "/svc/framable")
    assert headers["x-frame-options"] == "DENY"


async def test_hsts_is_sent_under_https_only() -> None:
    gateway = create_gateway(ROUTES[:1], {"svc": "http://127.0.0.1:9"})
    for scheme, expected in (("https", True), ("http", False)):
        transport = httpx.ASGITransport(app=gateway)
        async with httpx.AsyncClient(transport=transport, base_url=f"{scheme}://t.example") as h:
            answer = await h.get("/metrics")  # answered by the gateway itself
        assert answer.status_code == 404
        assert ("strict-transport-security" in answer.headers) is expected, scheme
        if expected:
            assert answer.headers["strict-transport-security"].startswith("max-age=")

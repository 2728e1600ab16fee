"""Log lines carry the fields of the request they were written in, and only those."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
import structlog
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from backend.common.logs import add_request_context, configure_logging, request_context
from backend.common.middleware import RequestContextMiddleware

pytestmark = pytest.mark.unit


def fields_of_a_line(**own: Any) -> dict[str, Any]:
    """What the processor adds to a line with these fields of its own."""
    return dict(add_request_context(None, "info", dict(own)))


def test_a_line_outside_any_request_has_no_request_fields() -> None:
    assert fields_of_a_line(event="started") == {"event": "started"}


async def test_lines_in_a_request_and_the_tasks_it_starts_carry_its_fields_until_it_ends() -> None:
    async def in_a_task() -> dict[str, Any]:
        return fields_of_a_line()

    with request_context(request_id="r1", service="orders"):
        inside = fields_of_a_line(event="x")
        in_task = await asyncio.create_task(in_a_task())
        with request_context(request_id="r2", service="orders"):
            nested = fields_of_a_line()
        after_nested = fields_of_a_line()
    assert inside == {"event": "x", "request_id": "r1", "service": "orders"}
    assert in_task == {"request_id": "r1", "service": "orders"}
    assert nested["request_id"] == "r2"
    assert after_nested["request_id"] == "r1"
    assert fields_of_a_line() == {}


def test_a_lines_own_value_wins_over_the_requests() -> None:
    with request_context(request_id="r1", service="orders"):
        assert fields_of_a_line(service="relay")["service"] == "relay"


def client_of(handler: Callable[[Request], Awaitable[Response]]) -> httpx.AsyncClient:
    """A client of a new app serving ``handler`` at ``/x`` behind the request middleware."""
    app = Starlette(
        routes=[Route("/x", handler)],
        middleware=[
            Middleware(RequestContextMiddleware, service="orders", registry=CollectorRegistry())
        ],
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_requests_at_once_each_see_their_own_id_which_the_response_tells() -> None:
    seen: dict[str, str] = {}

    async def handler(request: Request) -> Response:
        await asyncio.sleep(0)  # the others' requests run in between
        seen[request.query_params["n"]] = fields_of_a_line()["request_id"]
        return JSONResponse({})

    async with client_of(handler) as client:
        responses = await asyncio.gather(*(client.get("/x", params={"n": n}) for n in "abcdef"))
    told = {r.request.url.params["n"]: r.headers["x-request-id"] for r in responses}
    assert seen == told
    assert len(set(told.values())) == 6


async def test_an_id_no_client_gave_is_32_hex_and_never_the_same_in_two_processes() -> None:
    async def handler(_: Request) -> Response:
        return JSONResponse({})

    told: list[str] = []
    for _process in range(2):  # each process builds its own app
        async with client_of(handler) as client:
            told += [(await client.get("/x")).headers["x-request-id"] for _ in range(50)]
    assert len(set(told)) == 100
    assert all(len(id_) == 32 and int(id_, 16) >= 0 and id_ == id_.lower() for id_ in told)


async def test_a_socket_has_its_id_and_log_fields_and_its_frames_go_out_as_sent() -> None:
    frames: list[Message] = []

    async def socket(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        told = f"{scope['request_id']} {fields_of_a_line()['request_id']}"
        frames.append({"type": "websocket.send", "text": told})
        await send(frames[-1])

    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "websocket.connect"}

    async def send(message: Message) -> None:
        sent.append(message)

    app = RequestContextMiddleware(socket, service="live", registry=CollectorRegistry())
    scope = {"type": "websocket", "path": "/ws", "headers": [(b"x-request-id", b"sock-1")]}
    await app(scope, receive, send)
    assert sent == [{"type": "websocket.accept"}, *frames]
    assert frames[0]["text"] == "sock-1 sock-1"
    assert sent[1] is frames[0]  # the very message: nothing in between


def test_a_json_line_is_one_object_with_the_requests_fields_level_and_time() -> None:
    configure_logging(json=True)
    line: Any = {"event": "request", "status": 409, "ms": 1.5}
    with request_context(request_id="r1", service="orders"):
        for processor in structlog.get_config()["processors"]:
            line = processor(None, "info", line)
    assert isinstance(line, bytes)  # orjson's, written as they are (BytesLoggerFactory)
    fields = json.loads(line)
    assert fields.pop("timestamp").endswith("Z")
    assert fields == {
        "event": "request",
        "status": 409,
        "ms": 1.5,
        "request_id": "r1",
        "service": "orders",
        "level": "info",
    }

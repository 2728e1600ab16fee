"""The bare servers the benchmarks measure against, each run in its own uvicorn process
(``uvicorn --factory bench.baselines:bare_lock``): Starlette and redis-py, nothing else.

They live apart from the benchmarks so that their processes import only what a bare
service would. When the bare lock lived in ``bench/flash_sale.py`` its process imported
the benchmark's own modules (the backend's, the clients', the stand-ins'), and a full
garbage collection walking them cost it 80 to 85 ms, twice in a four-race run (measured
with ``gc.callbacks``): a yardstick that paused at random.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import AsyncIterator

from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

HOLD_MS = 900_000  # the bare lock's hold, as an order's
SUBSCRIBED_FRAME = json.dumps({"type": "subscribed", "topics": ["tickets"]}, separators=(",", ":"))


def bare_lock() -> Starlette:
    """The bare lock: parse the body, ``SET NX PX``, answer."""
    redis = Redis.from_url(os.environ["REDIS_URL"])

    async def hold(request: Request) -> Response:
        ticket_id = (await request.json())["ticketId"]
        buyer = request.headers.get("authorization", "")[-16:]
        won = await redis.set(f"bare:{ticket_id}", buyer, nx=True, px=HOLD_MS)
        return JSONResponse({"ticketId": ticket_id}, status_code=201 if won else 409)

    async def index(_: Request) -> Response:  # the warm-up's read
        await redis.get("bare:none")
        return JSONResponse({"items": []})

    async def healthz(_: Request) -> Response:
        return Response("ok")

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        await redis.aclose()

    return Starlette(
        routes=[
            Route("/api/orders", hold, methods=["POST"]),
            Route("/api/orders", index, methods=["GET"]),
            Route("/healthz", healthz),
        ],
        lifespan=lifespan,
    )


def bare_broadcaster() -> Starlette:
    """A bare broadcaster: ``POST /broadcast`` sends its body to every socket of ``/ws``.

    A socket joins the list with its first frame (answered with ``subscribed``), as our
    clients subscribe. The fan-out runs after the response is sent, one ``send_text``
    after another.
    """
    clients: dict[WebSocket, None] = {}  # an insertion-ordered list of connected sockets

    async def fanout(text: str) -> None:
        for websocket in list(clients):
            try:
                await websocket.send_text(text)
            except Exception:  # gone in the meantime
                clients.pop(websocket, None)

    async def broadcast(request: Request) -> Response:
        text = (await request.body()).decode()
        return Response(status_code=202, background=BackgroundTask(fanout, text))

    async def socket(websocket: WebSocket) -> None:
        await websocket.accept()
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    return
                if websocket not in clients:
                    clients[websocket] = None
                    await websocket.send_text(SUBSCRIBED_FRAME)
        finally:
            clients.pop(websocket, None)

    return Starlette(
        routes=[
            Route("/broadcast", broadcast, methods=["POST"]),
            WebSocketRoute("/ws", socket),
        ]
    )

"""Helpers for the live gateway's integration tests: more gateway replicas, messages
journaled straight into Redis (fast and as large as a test needs), sockets that stop
reading, and the three ways a WebSocket client signs in."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from bson import ObjectId
from redis.asyncio import Redis
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from websockets.asyncio.client import ClientConnection, connect

from backend.common.facts import TicketCreated, TicketUpdated
from backend.common.keys import RedisKeys
from backend.common.settings import Settings
from backend.live.app import create_app
from backend.live.journal import Journal
from backend.live.messages import LiveMessage, ticket_message
from tests.support.api import PASSWORD, User
from tests.support.live import LiveClient
from tests.support.servers import serve
from wire.values import Event, EventKind, Money, TicketStatus

type Frame = dict[str, Any]

# Listing tickets involves only these services (no orders, payments or expiration).
LISTING_SERVICES = ("auth", "tickets", "live")


# -- servers --------------------------------------------------------------------------------
@asynccontextmanager
async def live_replica(settings: Settings) -> AsyncIterator[str]:
    """One more replica of the live gateway, on its own socket, sharing Redis and Mongo."""
    async with serve(create_app(settings)) as url:
        yield url


class CloseSpy:
    """Wraps an ASGI app to note every WebSocket close code it *sends* — known at once,
    even while a client that does not read keeps the close frame from the wire."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.codes: list[int] = []
        self.closed = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return

        async def spying_send(message: Message) -> None:
            if message["type"] == "websocket.close":
                self.codes.append(int(message.get("code", 1000)))
                self.closed.set()
            await send(message)

        await self.app(scope, receive, spying_send)


# -- the journal, written directly ----------------------------------------------------------
def journal_of(redis: Redis, settings: Settings) -> Journal:
    return Journal(redis, RedisKeys(settings.namespace), history=settings.live_history)


async def journal_cursor(redis: Redis, keys: RedisKeys) -> int:
    """The cursor of the last message journaled."""
    return int(await redis.get(keys.live_cursor()) or 0)


FILLER_TICKET = "f" * 24


def filler(index: int, *, padding: int = 0, ticket_id: str = FILLER_TICKET) -> LiveMessage:
    """A public ticket message (``n`` = ``index``) of about ``padding`` extra bytes; it
    changes no snapshot."""
    body = {"type": "ticket.updated", "ticketId": ticket_id, "n": index, "pad": "x" * padding}
    return LiveMessage(body=body, ticket_id=ticket_id)


def ticket_fact(
    ticket_id: str, seller_id: str, *, version: int = 0, amount: int = 5_000, title: str = "Row 5"
) -> TicketCreated:
    """A ticket of the seller's, for sale, at ``version`` (0: its creation)."""
    kind = TicketCreated if version == 0 else TicketUpdated
    return kind(
        version=version,
        ticket_id=ticket_id,
        title=title,
        event=Event(
            name="The Band",
            kind=EventKind.CONCERT,
            venue="Arena",
            starts_at=datetime.now(UTC) + timedelta(days=30),
        ),
        price=Money(amount=amount, currency="usd"),
        seller_id=seller_id,
        owner_id=seller_id,
        status=TicketStatus.AVAILABLE,
    )


def listing(title: str, *, seller_id: str | None = None) -> LiveMessage:
    """The ``ticket.listed`` message of a brand-new ticket, as the gateway's handler builds
    it (so the market snapshot includes it once journaled)."""
    fact = ticket_fact(str(ObjectId()), seller_id or str(ObjectId()), title=title)
    message = ticket_message(None, fact, None)
    assert message is not None
    return message


async def append_all(
    journal: Journal, messages: Sequence[LiveMessage], *, at_once: int = 1
) -> None:
    """Journal ``messages`` (``at_once`` > 1: that many concurrently, so in any order)."""
    for start in range(0, len(messages), at_once):
        cursors = await asyncio.gather(
            *(journal.append(m) for m in messages[start : start + at_once])
        )
        assert all(cursors), "the journal took a message for a duplicate"


# -- reading -------------------------------------------------------------------------------
def changes(messages: Sequence[Frame]) -> list[Frame]:
    """The journaled messages among ``messages`` (``ticket.*`` and ``order.*``)."""
    return [m for m in messages if str(m.get("type", "")).startswith(("ticket.", "order."))]


def cursors(messages: Sequence[Frame]) -> list[int]:
    return [int(m["cursor"]) for m in changes(messages)]


async def read_until(
    client: LiveClient, accept: Callable[[Frame], bool], timeout: float = 10.0
) -> list[Frame]:
    """Every message up to and including the first one ``accept`` takes."""
    start = len(client.seen)
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            raise AssertionError(f"no accepted message within {timeout}s; saw {client.seen[-5:]}")
        try:
            message = await client.next(left)
        except TimeoutError:
            continue  # the loop reports it, with what was seen
        if accept(message):
            return client.seen[start:]


async def subscribe(client: LiveClient, *topics: str, since: int | None = None) -> list[Frame]:
    """Subscribe; return what came before ``subscribed`` (snapshots, backlog, resync)."""
    await client.subscribe(*topics, since=since)
    return (await read_until(client, lambda m: m.get("type") == "subscribed"))[:-1]


async def read_to_cursor(client: LiveClient, cursor: int, timeout: float = 10.0) -> list[Frame]:
    """Every message up to the journaled one at ``cursor`` (or beyond)."""
    return await read_until(client, lambda m: bool(changes([m])) and m["cursor"] >= cursor, timeout)


# -- connecting ------------------------------------------------------------------------------
def ws_url(base_url: str) -> str:
    return "ws" + base_url.removeprefix("http") + "/api/live"


async def bearer_token(user: User) -> str:
    """A session token from ``POST /api/users/token``, as a bot gets one."""
    response = await user.http.post(
        "/api/users/token", json={"email": user.email, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


def session_cookie(user: User) -> str:
    """The session cookie sign-up set in the user's HTTP client, as a browser holds it."""
    value = user.http.cookies.get("session")
    assert value, "sign-up set no session cookie"
    return value


async def open_with_cookie(base_url: str, cookie: str) -> LiveClient:
    headers = {"Cookie": f"session={cookie}"}
    return LiveClient(await connect(ws_url(base_url), additional_headers=headers, max_size=None))


async def open_stalled(base_url: str) -> ClientConnection:
    """A WebSocket whose owner stops reading: a small kernel receive buffer, reading paused
    after one queued frame, no compression (the padding of test messages would shrink to
    nothing) and no keep-alive pings of its own."""
    address = urlsplit(base_url)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)  # before connect
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (address.hostname, address.port))
    return await connect(
        ws_url(base_url),
        sock=sock,
        max_queue=1,
        max_size=None,
        compression=None,
        ping_interval=None,
    )

"""One WebSocket client of the live API: its operations, topics and outgoing queue.

Client → server (JSON text frames):
  {"op": "subscribe", "topics": ["tickets" | "ticket:<id>" | "event:<id>" | "me"],
   "since": <cursor>?}
  {"op": "unsubscribe", "topics": [...]}
  {"op": "auth", "token": "<jwt>"}
  {"op": "ping"}
Server → client: ``snapshot``, ``ticket.*``, ``order.*`` (each with ``cursor``), ``resync``,
``subscribed``, ``unsubscribed``, ``authenticated``, ``pong``, ``ping``, ``error``.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from backend.common.auth import CurrentUser, Revocations, verify_token
from backend.common.facts import SessionsEnded
from backend.live.journal import Delivery, Journal
from backend.live.messages import LiveMessage
from wire.live import (
    Authenticated,
    ErrorFrame,
    Frame,
    Heartbeat,
    Resync,
    Snapshot,
    Subscribed,
)

TOPIC = re.compile(r"^(tickets|me|ticket:[0-9a-f]{24}|event:[0-9a-f]{24})$")
MAX_TOPICS = 50
SLOW_CLIENT_CODE = 4008
# How long the 4008 close frame may wait behind a full socket buffer for a slow reader;
# past it the connection is cut without one.
SLOW_CLOSE_GRACE_SECONDS = 10.0


def frame(message: Frame) -> str:
    return json.dumps(message.body(), separators=(",", ":"))


# A journaled control message, never sent to a client: sessions that ended (signed out,
# password changed). Each replica's clients close their socket when it names their session.
SESSION_ENDED = "session.ended"
SESSION_ENDED_REASON = "session ended: signed out or password changed"


def session_ended_message(fact: SessionsEnded) -> LiveMessage:
    body = {
        "type": SESSION_ENDED,
        "userId": fact.user_id,
        "tokenId": fact.token_id,
        "generation": fact.generation,
    }
    return LiveMessage(body=body, users=(fact.user_id,), public=False)


def _session_ended(delivery: Delivery) -> dict[str, Any] | None:
    if delivery.public or delivery.ticket_id or f'"type":"{SESSION_ENDED}"' not in delivery.frame:
        return None
    body = json.loads(delivery.frame)
    return body if isinstance(body, dict) else None


class ProtocolError(Exception):
    """A bad frame: answered with an ``error`` message, the connection stays open."""


class LiveClient:
    def __init__(
        self,
        websocket: WebSocket,
        journal: Journal,
        *,
        user: CurrentUser | None,
        jwt_key: str,
        queue_size: int,
        max_frame_bytes: int,
        revocations: Revocations | None = None,
    ) -> None:
        self.websocket = websocket
        self.journal = journal
        self.user = user
        self.jwt_key = jwt_key
        self.revocations = revocations
        self.max_frame_bytes = max_frame_bytes
        # Frames waiting behind the one being sent (a reader slower than the messages).
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize=queue_size)
        self.topics: dict[str, int] = {}  # active topic -> cursor its snapshot was taken at
        self.pending: dict[str, list[Delivery]] = {}  # topics being set up
        self.dropped: str | None = None
        self.dropped_event = asyncio.Event()
        self.broken = asyncio.Event()  # a send failed: the socket is gone
        self._sending = False  # a frame is on its way (its sender drains the queue)
        self._sender: asyncio.Task[None] | None = None  # one waiting on a slow socket

    # -- routing (called by the hub, synchronously) -----------------------------------
    def _matches(self, delivery: Delivery, topics: dict[str, Any]) -> list[str]:
        if not delivery.public and not delivery.ticket_id:
            return []  # a control message (session.ended): for no topic
        found = [topic for topic in delivery.topics if topic in topics]
        if "me" in topics and self.user is not None and self.user.id in delivery.users:
            found.append("me")
        return found

    def offer(self, delivery: Delivery) -> None:
        if (ended := _session_ended(delivery)) is not None:
            self._end_session_if_named(ended)
            return
        if self.pending:  # topics being set up (rarely)
            for topic in self._matches(delivery, self.pending):
                self.pending[topic].append(delivery)
        if any(delivery.cursor > self.topics[t] for t in self._matches(delivery, self.topics)):
            self._enqueue(delivery.frame)

    def _enqueue(self, text: str) -> None:
        """Send ``text`` now, or queue it behind the frame on its way.

        A frame goes out in the caller's own turn when nothing is on its way: its sender
        is an eager task, which runs at once and is done without a turn of the event loop
        when the socket takes the frame, as it does unless its buffer is full. Only a
        socket that makes the send wait keeps its sender, which then sends what queued up
        behind, in order. (A task per socket, woken for every message, cost a task switch
        per message and client: at 1,000 clients the gateway spent 48.0 and 50.5 µs of CPU
        per message with it, 40.0 and 44.5 µs without, ``bench/live_fanout.py``
        alternated.)"""
        if self.dropped is not None or self.broken.is_set():
            return
        if self._sending:
            try:
                self.queue.put_nowait(text)
            except asyncio.QueueFull:
                self.dropped = "too slow: the client did not keep up with the messages"
                self.dropped_event.set()
            return
        self._sending = True
        loop = asyncio.get_running_loop()
        sender = asyncio.Task(self._send(text), loop=loop, eager_start=True)
        if not sender.done():  # the socket is full: it goes on in the background
            self._sender = sender

    async def _send(self, text: str) -> None:
        """Send ``text``, then what queued up behind it; a failed send (the socket went
        away under it) ends the connection."""
        ended = False
        try:
            while self.dropped is None:
                await self.websocket.send_text(text)
                if self.queue.empty():
                    break
                text = self.queue.get_nowait()
            ended = True
        except (WebSocketDisconnect, RuntimeError, OSError):
            pass  # Starlette's and uvicorn's ways of saying the socket is gone
        finally:
            self._sending = False
            self._sender = None
            if not ended:
                self.broken.set()

    def stop(self) -> None:
        """No more frames: a send still waiting on the socket is given up."""
        self.broken.set()
        if self._sender is not None:
            self._sender.cancel()

    def _end_session_if_named(self, ended: dict[str, Any]) -> None:
        """Close this socket (as ``dropped``) when its session is the one that ended."""
        user = self.user
        if user is None or ended.get("userId") != user.id:
            return
        token_id, generation = ended.get("tokenId"), ended.get("generation")
        if (token_id and token_id == user.token_id) or (
            not token_id and isinstance(generation, int) and user.generation < generation
        ):
            self.dropped = SESSION_ENDED_REASON
            self.dropped_event.set()

    def offer_control(self, text: str) -> None:
        """A frame of our own (ping, error) in line with the messages."""
        self._enqueue(text)

    # -- operations ---------------------------------------------------------------------
    async def handle(self, raw: str) -> None:
        try:
            if len(raw.encode()) > self.max_frame_bytes:
                raise ProtocolError(f"frame larger than {self.max_frame_bytes} bytes")
            try:
                request = json.loads(raw)
            except (ValueError, RecursionError):
                raise ProtocolError("frame is not valid JSON") from None
            if not isinstance(request, dict):
                raise ProtocolError("frame must be a JSON object")
            op = request.get("op")
            if op == "ping":
                self._enqueue(frame(Heartbeat(type="pong")))
            elif op == "auth":
                await self._authenticate(request.get("token"))
            elif op == "subscribe":
                await self._subscribe(self._topics(request), request.get("since"))
            elif op == "unsubscribe":
                topics = self._topics(request)
                for topic in topics:
                    self.topics.pop(topic, None)
                self._enqueue(frame(Subscribed(type="unsubscribed", topics=topics)))
            else:
                raise ProtocolError(f"unknown op {op!r}: use subscribe, unsubscribe, auth, ping")
        except ProtocolError as exc:
            self._enqueue(frame(ErrorFrame(message=str(exc))))

    async def _authenticate(self, token: object) -> None:
        user = verify_token(token, key=self.jwt_key) if isinstance(token, str) else None
        if user is None or (self.revocations and await self.revocations.is_revoked(user)):
            raise ProtocolError("invalid or expired token")
        self.user = user
        self._enqueue(frame(Authenticated(user_id=user.id)))

    def _topics(self, request: dict[str, Any]) -> list[str]:
        topics = request.get("topics")
        if isinstance(topics, str):
            topics = [topics]
        if not isinstance(topics, list) or not topics or len(topics) > MAX_TOPICS:
            raise ProtocolError(f"topics must be a list of 1 to {MAX_TOPICS} topics")
        for topic in topics:
            if not isinstance(topic, str) or not TOPIC.match(topic):
                raise ProtocolError(
                    f"unknown topic {topic!r}: use tickets, ticket:<id>, event:<id> or me"
                )
        if "me" in topics and self.user is None:
            raise ProtocolError("topic 'me' needs a signed-in user (cookie, bearer or auth op)")
        return list(dict.fromkeys(topics))

    async def _subscribe(self, topics: list[str], since: object) -> None:
        if since is not None and (
            not isinstance(since, int) or isinstance(since, bool) or since < 0
        ):
            raise ProtocolError("since must be a cursor (a non-negative integer)")
        fresh = [t for t in topics if t not in self.topics]
        for topic in fresh:
            self.pending[topic] = []  # collect what arrives while we read the journal
        try:
            if since is not None:
                await self._resume(fresh, since)
            else:
                await self._snapshot(fresh)
        finally:
            for topic in fresh:
                self.pending.pop(topic, None)
        self._enqueue(frame(Subscribed(type="subscribed", topics=topics)))

    async def _snapshot(self, topics: list[str]) -> None:
        for topic in topics:
            # The journal keeps each view as it was sent (a wire model's JSON): it goes out
            # as stored, not read back into models for every subscriber.
            views: dict[str, Any]
            if topic == "tickets":
                cursor, tickets = await self.journal.market_snapshot()
                views = {"tickets": tickets}
            elif topic == "me":
                assert self.user is not None
                cursor, orders = await self.journal.orders_snapshot(self.user.id)
                views = {"orders": orders}
            elif topic.startswith("event:"):
                event_id = topic.split(":", 1)[1]
                cursor, listings, availability = await self.journal.event_snapshot(event_id)
                views = {"tickets": listings, "availability": availability}
            else:
                cursor, ticket = await self.journal.ticket_snapshot(topic.split(":", 1)[1])
                views = {"ticket": ticket}
            head = Snapshot(topic=topic, cursor=cursor).body()
            body = json.dumps(head | views, separators=(",", ":"))
            # No await from here on: the hub cannot interleave.
            self._enqueue(body)
            self._activate(topic, cursor)

    async def _resume(self, topics: list[str], since: int) -> None:
        backlog = await self.journal.since(since)
        if backlog is None:
            self._enqueue(frame(Resync(topics=topics, reason="cursor too old")))
            await self._snapshot(topics)
            return
        # No await from here on.
        wanted = dict.fromkeys(topics, since)
        missed = [d for d in backlog if self._matches(d, wanted)]
        room = self.queue.maxsize - self.queue.qsize() - len(topics) - 1
        if len(missed) > room:  # would overflow the queue: start afresh instead
            self._enqueue(frame(Resync(topics=topics, reason="too far behind")))
            await self._snapshot(topics)
            return
        for delivery in missed:
            self._enqueue(delivery.frame)
        last = backlog[-1].cursor if backlog else since
        for topic in topics:
            self._activate(topic, last)

    def _activate(self, topic: str, cursor: int) -> None:
        for delivery in self.pending.get(topic, []):
            # Already queued by ``offer`` for another topic of ours: not twice.
            queued = any(
                delivery.cursor > self.topics[t] for t in self._matches(delivery, self.topics)
            )
            if delivery.cursor > cursor and not queued:
                self._enqueue(delivery.frame)
                cursor = delivery.cursor
        self.topics[topic] = cursor

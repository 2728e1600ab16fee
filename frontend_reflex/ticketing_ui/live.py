"""The marketplace's live WebSocket API (``/api/live``), as one browser tab follows it.

:func:`follow` yields every server message for the topics, reconnecting by itself with
``since=<cursor>`` so that nothing is missed or repeated (the API's resume guarantee). The
topics may change while it runs (the tab went to another page): it then unsubscribes
from the old ones and subscribes to the new ones on the same connection.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncGenerator, Callable, Sequence
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from ticketing_ui.api import live_url
from wire.live import AnyFrame, Resync, Subscribed, parse_frame

log = logging.getLogger(__name__)

IDLE_CHECK_SECONDS = 2.0  # how often a quiet connection asks whether to go on
MAX_BACKOFF_SECONDS = 10.0

type Topics = Sequence[str] | Callable[[], Sequence[str]]


async def _send(ws: ClientConnection, op: str, topics: Sequence[str], since: int | None) -> None:
    if topics:
        frame: dict[str, Any] = {"op": op, "topics": list(topics)}
        if since is not None:
            frame["since"] = since
        await ws.send(json.dumps(frame))


async def follow(
    topics: Topics, token: str, keep_going: Callable[[], bool]
) -> AsyncGenerator[AnyFrame]:
    """Messages of ``topics`` (a list, or a function asked again as it goes) until
    ``keep_going()`` turns false (checked at least every ``IDLE_CHECK_SECONDS``);
    ``None``-free, in cursor order. A caller that stops early closes it
    (``contextlib.aclosing``) to close the connection at once."""
    wanted: Callable[[], Sequence[str]] = topics if callable(topics) else lambda: topics
    cursor: int | None = None
    resumable: set[str] = set()  # topics the cursor is good for (subscribed, snapshot seen)
    backoff = 0.5
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    while keep_going():
        try:
            async with connect(live_url(), additional_headers=headers, open_timeout=10) as ws:
                now = list(dict.fromkeys(wanted()))
                # A topic followed before resumes after the cursor; a new one starts from
                # its snapshot.
                resume = [t for t in now if t in resumable] if cursor is not None else []
                await _send(ws, "subscribe", resume, cursor)
                await _send(ws, "subscribe", [t for t in now if t not in resume], None)
                following, resumable = set(now), set()
                backoff = 0.5
                while keep_going():
                    now = list(dict.fromkeys(wanted()))
                    if set(now) != following:
                        await _send(ws, "unsubscribe", sorted(following - set(now)), None)
                        await _send(ws, "subscribe", [t for t in now if t not in following], None)
                        resumable &= set(now)
                        following = set(now)
                    try:
                        frame = await asyncio.wait_for(ws.recv(), IDLE_CHECK_SECONDS)
                    except TimeoutError:
                        continue
                    message = parse_frame(frame)
                    if message.cursor is not None:
                        cursor = max(cursor or 0, message.cursor)
                    if isinstance(message, Resync):
                        cursor = None
                    elif isinstance(message, Subscribed) and message.type == "subscribed":
                        resumable |= set(message.topics) & following
                    yield message
                return
        except (OSError, ConnectionClosed, InvalidHandshake, TimeoutError) as exc:
            log.info("live connection lost (%s); reconnecting", type(exc).__name__)
        await asyncio.sleep(backoff)
        backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

"""The marketplace's live WebSocket API (``/api/live``), as one browser tab follows it.

:func:`follow` yields every server message for the topics, reconnecting by itself with
``since=<cursor>`` so that nothing is missed or repeated (the API's resume guarantee).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncGenerator, Callable
from typing import Any

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from ticketing_ui.api import live_url
from wire.live import AnyFrame, Resync, parse_frame

log = logging.getLogger(__name__)

IDLE_CHECK_SECONDS = 2.0  # how often a quiet connection asks whether to go on
MAX_BACKOFF_SECONDS = 10.0


async def follow(
    topics: list[str], token: str, keep_going: Callable[[], bool]
) -> AsyncGenerator[AnyFrame]:
    """Messages of ``topics`` until ``keep_going()`` turns false (checked at least every
    ``IDLE_CHECK_SECONDS``); ``None``-free, in cursor order. A caller that stops early
    closes it (``contextlib.aclosing``) to close the connection at once."""
    cursor: int | None = None
    backoff = 0.5
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    while keep_going():
        try:
            async with connect(live_url(), additional_headers=headers, open_timeout=10) as ws:
                subscribe: dict[str, Any] = {"op": "subscribe", "topics": topics}
                if cursor is not None:
                    subscribe["since"] = cursor
                await ws.send(json.dumps(subscribe))
                backoff = 0.5
                while keep_going():
                    try:
                        frame = await asyncio.wait_for(ws.recv(), IDLE_CHECK_SECONDS)
                    except TimeoutError:
                        continue
                    message = parse_frame(frame)
                    if message.cursor is not None:
                        cursor = max(cursor or 0, message.cursor)
                    if isinstance(message, Resync):
                        cursor = None
                    yield message
                return
        except (OSError, ConnectionClosed, InvalidHandshake, TimeoutError) as exc:
            log.info("live connection lost (%s); reconnecting", type(exc).__name__)
        await asyncio.sleep(backoff)
        backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

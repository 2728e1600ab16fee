"""Waiting briefly for this service's copy of another service's data to catch up."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

# How long a request waits for an event that is still on its way (e.g. the edit the
# tickets service has just committed, the order the orders service has just created).
CATCH_UP_S = 2.0


async def caught_up[T](
    read: Callable[[], Awaitable[T | None]],
    ready: Callable[[T], bool] = lambda _: True,
    *,
    within_s: float | None = None,
) -> T | None:
    """``read()`` once it gives a value that is ``ready``; None if it does not within
    ``within_s`` (by default ``CATCH_UP_S``)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + (CATCH_UP_S if within_s is None else within_s)
    while True:
        value = await read()
        if value is not None and ready(value):
            return value
        if loop.time() >= deadline:
            return None
        await asyncio.sleep(0.05)

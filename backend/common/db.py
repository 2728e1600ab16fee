"""MongoDB: one database per service, initialised with Beanie."""

from __future__ import annotations

import asyncio
import inspect
import socket
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from beanie import Document, init_beanie
from pymongo import AsyncMongoClient, pool_shared

type MongoClient = AsyncMongoClient[dict[str, object]]
type Connect = Callable[[Any, Any], Awaitable[socket.socket]]


async def open_database(
    url: str, database: str, documents: Sequence[type[Document]]
) -> MongoClient:
    """A client with Beanie initialised on ``database``; closed again if that fails."""
    close_cancelled_connects()
    client: MongoClient = AsyncMongoClient(url, tz_aware=True, serverSelectionTimeoutMS=5_000)
    try:
        await init_beanie(database=client[database], document_models=list(documents))
    except BaseException:
        await client.close()
        raise
    return client


def close_cancelled_connects() -> bool:
    """PyMongo's async driver (4.20) closes the socket of a new connection when the
    connect fails, not when the task that waits for it is cancelled (PYTHON-5867,
    mongodb/mongo-python-driver#2858): a service stopped while one of its tasks opened
    a MongoDB connection left that socket open until the garbage collector found it.
    Now the connect runs on in a task of its own, and a socket it opens for a waiter that
    was cancelled is closed. Applied once, and only while the driver's own connect closes
    on failures alone; True when applied."""
    connect: Connect = pool_shared._async_create_connection
    if getattr(connect, "closes_cancelled", False):
        return True
    if "BaseException" in inspect.getsource(connect):  # the driver closes it itself
        return False

    async def closing_cancelled(address: Any, options: Any) -> socket.socket:
        connecting = asyncio.ensure_future(connect(address, options))
        try:
            return await asyncio.shield(connecting)
        except asyncio.CancelledError:
            connecting.add_done_callback(_close_opened)
            raise

    closing_cancelled.closes_cancelled = True  # type: ignore[attr-defined]
    pool_shared._async_create_connection = closing_cancelled
    return True


def _close_opened(connecting: asyncio.Future[socket.socket]) -> None:
    if not connecting.cancelled() and connecting.exception() is None:
        connecting.result().close()

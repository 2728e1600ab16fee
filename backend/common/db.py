"""MongoDB: one database per service, initialised with Beanie."""

from __future__ import annotations

from collections.abc import Sequence

from beanie import Document, init_beanie
from pymongo import AsyncMongoClient

type MongoClient = AsyncMongoClient[dict[str, object]]


async def open_database(
    url: str, database: str, documents: Sequence[type[Document]]
) -> MongoClient:
    """A client with Beanie initialised on ``database``; closed again if that fails."""
    client: MongoClient = AsyncMongoClient(url, tz_aware=True, serverSelectionTimeoutMS=5_000)
    try:
        await init_beanie(database=client[database], document_models=list(documents))
    except BaseException:
        await client.close()
        raise
    return client

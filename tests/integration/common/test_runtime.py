"""A service's runtime closes every client it opened, a start that fails included: a
client left open keeps its sockets until the collector finds it (and, in this suite,
fails whatever test is running then, with a ``ResourceWarning``)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import secrets

import pytest
from pymongo import AsyncMongoClient
from pymongo.errors import OperationFailure
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from backend.common.runtime import open_runtime
from backend.common.settings import Settings
from backend.orders.models import Order
from tests.support.api import eventually

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    "taken",
    [
        "ticket_id_1",  # one of the order's own indexes: Beanie's start fails
        "outbox_pending",  # the relay's: its start fails
    ],
)
async def test_a_start_that_fails_closes_the_clients_it_opened(
    settings: Settings, mongo: AsyncMongoClient[dict[str, object]], taken: str
) -> None:
    orders = mongo[settings.database_name("orders")]["orders"]
    await orders.create_index([("seller_id", 1)], name=taken)  # the name, on other keys
    with pytest.raises(OperationFailure):
        async with open_runtime("orders", settings, [Order]):
            pytest.fail("the runtime started")
    gc.collect()  # a client left open warns as it is collected: an error in this suite


async def test_a_cluster_client_closes_every_connection_after_its_slot_map_was_read_again(
    settings: Settings, redis_cluster_url: str
) -> None:
    # A node that drops its connections (a restart, a failover, a network blip) makes the
    # client read the slot map again; its later commands open new connections, which
    # closing the runtime must close too (``backend/common/cluster.py``).
    on_cluster = settings.model_copy(update={"redis_url": redis_cluster_url, "redis_cluster": True})
    masters = await masters_of(redis_cluster_url)
    try:
        before = await counts_of(masters)
        async with open_runtime("orders", on_cluster, []) as runtime:
            names = [f"{{slot-{i}}}:{secrets.token_hex(4)}" for i in range(30)]  # every master
            await asyncio.gather(*(runtime.redis.set(name, 1) for name in names))
            for node in masters:
                await node.client_kill_filter(_type="normal", skipme=True)
            for name in names:  # the first ones find their connection closed
                with contextlib.suppress(RedisConnectionError):
                    await runtime.redis.incr(name)
            await asyncio.gather(*(runtime.redis.incr(name) for name in names))
            assert min(await counts_of(masters)) > 0
        # (a connection closed here leaves the server a moment later)
        await eventually(lambda: counts_of(masters), lambda counts: counts == before)
    finally:
        await asyncio.gather(*(node.aclose() for node in masters))


async def masters_of(cluster_url: str) -> list[Redis]:
    """A plain client on each master of the cluster, to look at it from outside."""
    async with Redis.from_url(cluster_url, decode_responses=True) as first:
        slots = await first.cluster("SLOTS")
    ports = sorted({int(slot[2][1]) for slot in slots})
    return [Redis(host="127.0.0.1", port=port, decode_responses=True) for port in ports]


async def counts_of(masters: list[Redis]) -> list[int]:
    """Each node's normal client connections, the observer's own left out."""
    return [len(await node.client_list(_type="normal")) - 1 for node in masters]

"""What a running service holds: its clients and background tasks, opened in the lifespan."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import cast

import structlog
from beanie import Document
from redis.asyncio import BlockingConnectionPool, Redis
from starlette.requests import HTTPConnection

from backend.common.bus import Consumer, FactBus, Subscriptions
from backend.common.cluster import ClusterClient
from backend.common.db import MongoClient, open_database
from backend.common.keys import RedisKeys
from backend.common.locks import Locks
from backend.common.outbox import OutboxRelay
from backend.common.rate_limits import RateLimiter
from backend.common.redis_wire import PackedConnection, driver
from backend.common.settings import Settings
from backend.common.ticket_locks import TicketLocks
from backend.common.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)


@dataclass
class Runtime:
    service: str
    settings: Settings
    redis: Redis
    mongo: MongoClient
    keys: RedisKeys
    bus: FactBus
    locks: Locks
    relay: OutboxRelay
    uow: UnitOfWork
    ticket_locks: TicketLocks
    rate_limits: RateLimiter
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def consumer(self, subscriptions: Subscriptions) -> Consumer:
        s = self.settings
        return Consumer(
            self.redis,
            self.keys,
            group=self.service,
            subscriptions=subscriptions,
            max_deliveries=s.bus_max_deliveries,
            retry_after_ms=s.bus_retry_after_ms,
            block_ms=s.bus_block_ms,
        )

    def start(self, name: str, run: Callable[[], Awaitable[None]]) -> None:
        """Run a background loop for the lifetime of the app; a crash is logged loudly."""

        async def guarded() -> None:
            try:
                await run()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("background.crashed", task=name)
                raise

        self.tasks.append(asyncio.create_task(guarded(), name=f"{self.service}:{name}"))

    async def stop_tasks(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks.clear()


def open_redis(settings: Settings) -> Redis:
    """The service's Redis client: one server (``REDIS_URL``), or a Redis Cluster reached
    through any of its nodes (``REDIS_CLUSTER=true``; keys are hash-tagged so that every
    script and transaction stays in one slot: ``backend/common/keys.py``)."""
    if settings.redis_cluster:
        cluster = ClusterClient.from_url(
            settings.redis_url,
            decode_responses=True,
            max_connections=settings.redis_max_connections,
            socket_timeout=10,
        )
        # The commands the services use have the same shape on both clients.
        return cast(Redis, cluster)
    # A blocking pool: under a burst, callers wait for a connection instead of failing
    # with "Too many connections" (redis-py's default pool refuses past 100).
    return Redis.from_pool(
        BlockingConnectionPool.from_url(
            settings.redis_url,
            decode_responses=True,
            max_connections=settings.redis_max_connections,
            timeout=10,
            # redis:// only: rediss:// and unix:// choose their own connection class
            connection_class=PackedConnection,
            driver_info=driver(),
        )
    )


@asynccontextmanager
async def open_runtime(
    service: str, settings: Settings, documents: Sequence[type[Document]]
) -> AsyncIterator[Runtime]:
    """The service's clients and what is built on them; on the way out (a failed start
    included) its tasks are stopped, then each client is closed, each whatever went
    wrong before it: a client left open keeps its sockets until it is collected."""
    async with AsyncExitStack() as closing:
        redis = open_redis(settings)
        closing.push_async_callback(redis.aclose)
        if settings.redis_cluster:
            # The slot map is read now, not by the first requests at once: a lazy client
            # sent some of them to the wrong node, and the commands that had run before
            # its reconnection were sent again (a script counted twice, seen on a real
            # 3-master cluster: ``tests/integration/common/test_batches.py``).
            await cast(ClusterClient, redis).initialize()
        mongo = await open_database(settings.mongo_url, settings.database_name(service), documents)
        closing.push_async_callback(mongo.close)
        keys = RedisKeys(settings.namespace)
        bus = FactBus(redis, keys)
        relay = OutboxRelay(
            [d for d in documents if "outbox" in d.model_fields],
            bus,
            poll_seconds=settings.outbox_poll_seconds,
        )
        runtime = Runtime(
            service=service,
            settings=settings,
            redis=redis,
            mongo=mongo,
            keys=keys,
            bus=bus,
            locks=Locks(redis),
            relay=relay,
            uow=UnitOfWork(relay),
            ticket_locks=TicketLocks(redis, keys),
            rate_limits=RateLimiter(redis, keys),
        )
        closing.push_async_callback(runtime.stop_tasks)
        await relay.prepare()
        yield runtime


def runtime_of(conn: HTTPConnection) -> Runtime:
    return cast(Runtime, conn.state.runtime)

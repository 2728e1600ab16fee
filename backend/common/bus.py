"""Domain facts over Redis Streams with consumer groups (at-least-once).

* ``FactBus.publish`` appends a fact to its service's stream.
* ``Consumer`` reads the streams a service subscribes to in its own group (so replicas
  share the work), acks only after the handler returned, reclaims messages left pending
  by a dead or failing consumer with XAUTOCLAIM, and after ``max_deliveries`` failed
  deliveries moves the message to the dead-letter stream.

A round's handled messages are acked together, one ``XACK`` per stream once the round's
handlers have run (``Acks``), not one round trip each: the ack was a quarter of the
expiration worker's CPU per ``OrderCreated`` (py-spy), and every consumer of every
service paid it per fact. A crash in the middle of a round leaves its handled messages
pending, to be delivered again (at-least-once, as before; handlers are idempotent).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import structlog
from pydantic import ValidationError
from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from backend.common.facts import Fact
from backend.common.keys import RedisKeys

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Subscription[E: Fact]:
    """One fact type and its handler: mypy refuses a handler that takes another type."""

    fact: type[E]
    handler: Callable[[E], Awaitable[None]]


# What a service's handlers module ends with: every subscription of that service.
type Subscriptions = Sequence[Subscription[Any]]


def subscribe[E: Fact](fact: type[E], handler: Callable[[E], Awaitable[None]]) -> Subscription[Any]:
    """``Subscription(fact, handler)``, checked on its own: in a list of ``Subscriptions`` the
    list's type would otherwise let mypy read the pair as ``Subscription[Any]``."""
    return Subscription(fact, handler)


# Domain streams are trimmed only far beyond any realistic backlog; trimming can
# never outrun consumers in practice, and memory stays bounded.
STREAM_MAX_LEN = 1_000_000


# What XREADGROUP answers (with decode_responses): [(stream, [(id, fields), ...]), ...]
type StreamRead = list[tuple[str, list[tuple[str, dict[str, str]]]]] | None


class RetryLater(Exception):
    """Raised by a handler that cannot apply a fact yet (e.g. a skipped version)."""


@dataclass(frozen=True, slots=True)
class Envelope:
    """What travels on a stream: the event's type name and its JSON body."""

    type: str
    data: str

    @classmethod
    def of(cls, fact: Fact) -> Envelope:
        return cls(type=fact.type_name(), data=fact.model_dump_json())

    def fields(self) -> dict[str, str]:
        return {"type": self.type, "data": self.data}


class FactBus:
    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self.redis = redis
        self.keys = keys

    async def publish(self, fact: Fact) -> str:
        return await self.publish_envelope(fact.STREAM, Envelope.of(fact))

    async def publish_envelope(self, stream: str, envelope: Envelope) -> str:
        (msg_id,) = await self.publish_envelopes([(stream, envelope)])
        return msg_id

    async def publish_envelopes(self, batch: Sequence[tuple[str, Envelope]]) -> list[str]:
        """Each (stream, envelope) appended, in order, in one round trip."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for stream, envelope in batch:
                pipe.xadd(
                    self.keys.stream(stream),
                    envelope.fields(),  # type: ignore[arg-type]
                    maxlen=STREAM_MAX_LEN,
                    approximate=True,
                )
            return [str(msg_id) for msg_id in await pipe.execute()]


class Acks:
    """Messages handled in one round, acked together when it ends (``flush``)."""

    def __init__(self, redis: Redis, group: str) -> None:
        self._redis, self._group = redis, group
        self._ids: dict[str, list[str]] = {}

    def add(self, stream: str, msg_id: str) -> None:
        self._ids.setdefault(stream, []).append(msg_id)

    async def flush(self) -> None:
        ids, self._ids = self._ids, {}
        for stream, msg_ids in ids.items():
            await self._redis.xack(stream, self._group, *msg_ids)


def consumer_name(service: str) -> str:
    return f"{service}-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class Consumer:
    """Runs handlers for one consumer group; ``run`` loops, ``step`` does one round."""

    def __init__(
        self,
        redis: Redis,
        keys: RedisKeys,
        *,
        group: str,
        subscriptions: Subscriptions,
        name: str | None = None,
        max_deliveries: int = 5,
        retry_after_ms: int = 5_000,
        block_ms: int = 1_000,
        batch: int = 50,
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.group = group
        self.name = name or consumer_name(group)
        self.handlers = {each.fact.type_name(): each.handler for each in subscriptions}
        self.types = {each.fact.type_name(): each.fact for each in subscriptions}
        self.streams = sorted({keys.stream(each.fact.STREAM) for each in subscriptions})
        self.max_deliveries = max_deliveries
        self.retry_after_ms = retry_after_ms
        self.block_ms = block_ms
        self.batch = batch
        self._claim_cursor = dict.fromkeys(self.streams, "0-0")
        self._last_claim = 0.0

    async def ensure_groups(self) -> None:
        for stream in self.streams:
            try:
                # From the start of the stream: facts published before this
                # service first ran are still delivered to it.
                await self.redis.xgroup_create(stream, self.group, id="0", mkstream=True)
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    async def run(self) -> None:
        """Consume until cancelled; Redis being unreachable only pauses it."""
        ready = False
        while True:
            try:
                if not ready:
                    await self.ensure_groups()
                    ready = True
                await self.step()
            except (RedisError, OSError) as exc:
                log.warning("bus.redis_unavailable", group=self.group, error=str(exc))
                ready = False  # the groups may be gone (a Redis restart without data)
                await asyncio.sleep(0.5)

    async def step(self, *, block: bool = True) -> int:
        """Reclaim due pending messages, then read new ones; returns how many were handled.
        What was handled is acked at the end, even when the round is cut short."""
        acks = Acks(self.redis, self.group)
        try:
            handled = await self._round(acks, block=block)
        except BaseException:  # cut short (a failure, or cancelled): ack what was handled
            with contextlib.suppress(RedisError, OSError):
                await acks.flush()
            raise
        await acks.flush()
        return handled

    async def _round(self, acks: Acks, *, block: bool) -> int:
        handled = 0
        now = time.monotonic()
        if (now - self._last_claim) * 1000 >= self.retry_after_ms / 2:
            self._last_claim = now
            handled += await self._reclaim(acks)
        response = cast(
            StreamRead,
            await self.redis.xreadgroup(
                self.group,
                self.name,
                dict.fromkeys(self.streams, ">"),
                count=self.batch,
                block=self.block_ms if block and handled == 0 else None,
            ),
        )
        for stream, messages in response or []:
            for msg_id, fields in messages:
                await self._process(stream, msg_id, fields, acks, deliveries=1)
                handled += 1
        return handled

    async def _reclaim(self, acks: Acks) -> int:
        handled = 0
        for stream in self.streams:
            result = await self.redis.xautoclaim(
                stream,
                self.group,
                self.name,
                min_idle_time=self.retry_after_ms,
                start_id=self._claim_cursor[stream],
                count=self.batch,
            )
            next_id, messages = result[0], result[1]
            self._claim_cursor[stream] = next_id
            for msg_id, fields in messages:
                if fields is None:  # trimmed away while pending
                    acks.add(stream, msg_id)
                    continue
                deliveries = await self._deliveries(stream, msg_id)
                if deliveries > self.max_deliveries:
                    # It never came back from its handler (the consumer died or hung on
                    # it each time): stop feeding it to consumers.
                    await self._dead_letter(
                        stream, msg_id, fields, "consumer died while handling it", deliveries
                    )
                else:
                    await self._process(stream, msg_id, fields, acks, deliveries=deliveries)
                handled += 1
        return handled

    async def _deliveries(self, stream: str, msg_id: str) -> int:
        pending = await self.redis.xpending_range(
            stream, self.group, min=msg_id, max=msg_id, count=1
        )
        return int(pending[0]["times_delivered"]) if pending else 1

    async def _process(
        self, stream: str, msg_id: str, fields: Mapping[str, str], acks: Acks, *, deliveries: int
    ) -> None:
        type_name = fields.get("type", "")
        handler = self.handlers.get(type_name)
        if handler is None:  # a fact of this stream that this service does not consume
            acks.add(stream, msg_id)
            return
        try:
            fact = self.types[type_name].model_validate_json(fields.get("data", ""))
        except ValidationError as exc:
            # Can never succeed, however often it is retried.
            await self._dead_letter(stream, msg_id, fields, f"invalid fact: {exc}", deliveries)
            return
        bound = log.bind(group=self.group, event_type=type_name, event_id=fact.id, msg_id=msg_id)
        try:
            await handler(fact)
        except asyncio.CancelledError:
            raise
        except RetryLater as exc:
            bound.info("bus.retry_later", reason=str(exc), deliveries=deliveries)
            if deliveries >= self.max_deliveries:
                await self._dead_letter(stream, msg_id, fields, f"retry later: {exc}", deliveries)
            return
        except Exception as exc:  # noqa: BLE001 - any failure leaves the message un-acked
            bound.exception("bus.handler_failed", deliveries=deliveries)
            if deliveries >= self.max_deliveries:
                await self._dead_letter(stream, msg_id, fields, repr(exc), deliveries)
            return
        acks.add(stream, msg_id)

    async def _dead_letter(
        self, stream: str, msg_id: str, fields: Mapping[str, str], error: str, deliveries: int
    ) -> None:
        entry = {
            **fields,
            "stream": stream,
            "msgId": msg_id,
            "group": self.group,
            "error": error[:2000],
            "deliveries": str(deliveries),
        }
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xadd(self.keys.dead_letters(), entry)  # type: ignore[arg-type]
            pipe.xack(stream, self.group, msg_id)
            await pipe.execute()
        log.error(
            "bus.dead_lettered",
            group=self.group,
            stream=stream,
            msg_id=msg_id,
            event_type=fields.get("type"),
            error=error[:500],
            deliveries=deliveries,
        )


async def pending_count(redis: Redis, streams: Iterable[str], group: str) -> int:
    """Messages delivered to ``group`` but not yet acked (for health checks and tests)."""
    total = 0
    for stream in streams:
        try:
            summary = await redis.xpending(stream, group)
        except ResponseError:
            continue
        total += int(summary["pending"])
    return total

"""Calls that many requests make at once, sent together per turn of the event loop: Redis
calls as one pipeline (what ioredis calls auto-pipelining; redis-py has no such mode), new
MongoDB documents as one ``insert_many``.

Every call waits on a future of its own; the calls that arrive before the event loop
comes round again go out together, in arrival order, in one command or pipeline, and
each caller gets its own replies or its own error. Nothing waits on purpose: a lone call
goes out on the next turn, alone.

- ``ScriptBatches``: one Lua script's calls, each an ``EVALSHA``. A Redis that lost the
  script (restart, ``SCRIPT FLUSH``) answers ``NOSCRIPT`` for those calls; they are
  loaded and sent again once.
- ``PipelineBatches``: a few commands per call (queued by the caller on the shared
  pipeline, kept together and in order), as one caller's own pipeline would send them.
- ``InsertBatches``: one new document per call (``UnitOfWork.add``), inserted with the
  others of its collection in one unordered ``insert_many``.

Why: redis-py 7 spends most of a command's client CPU around it, not in it (taking a
connection from the blocking pool, checking it, giving it back: 7 to 11 % of the orders
worker's CPU in a flash sale, py-spy). Measured in a scratch script with 500 calls at
once on a real redis-server: 55 µs of client CPU per call sent alone, 18.5 µs per call
sent 50 to a pipeline. pymongo likewise: a winner's order insert was 10 % of the orders
worker's CPU in a flash sale once the Redis calls were batched (py-spy).

A script's atomicity is unchanged: each ``EVALSHA`` runs alone on the server, a pipeline
only shares the round trip, as a caller's own non-transactional pipeline did; each
document of an ``insert_many`` is its own single-document write, as with ``insert_one``.
On a Redis Cluster, whose pipelines would span nodes, each call goes out alone, as before
(a script's keys share one slot, as every script's must there; so do a call's commands).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from beanie import Document, PydanticObjectId
from pymongo.errors import BulkWriteError, DuplicateKeyError, PyMongoError, WriteError
from redis.asyncio import Redis, RedisCluster
from redis.asyncio.client import Pipeline
from redis.exceptions import NoScriptError
from redis.typing import EncodableT, KeyT


class _Batches[C]:
    """The batching: calls of kind ``C`` collected per turn of the loop, sent by ``_send``
    (at most ``most`` calls at a time), answered one future each."""

    def __init__(self, most: int) -> None:
        self._most = most
        self._pending: list[tuple[C, asyncio.Future[Any]]] = []
        self._sending: set[asyncio.Task[None]] = set()

    async def _call(self, call: C) -> Any:
        loop = asyncio.get_running_loop()
        reply: asyncio.Future[Any] = loop.create_future()
        self._pending.append((call, reply))
        if len(self._pending) == 1:
            loop.call_soon(self._flush)
        return await reply

    def _flush(self) -> None:
        pending, self._pending = self._pending, []
        for start in range(0, len(pending), self._most):
            task = asyncio.create_task(self._answer(pending[start : start + self._most]))
            self._sending.add(task)  # the loop keeps only a weak reference
            task.add_done_callback(self._sending.discard)

    async def _answer(self, batch: list[tuple[C, asyncio.Future[Any]]]) -> None:
        try:
            replies = await self._send([call for call, _ in batch])
        except BaseException as error:  # the connection failed, or the loop is closing
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            if not isinstance(error, Exception):
                raise
            return
        for (_, future), reply in zip(batch, replies, strict=True):
            if future.done():  # its caller went away (cancelled)
                continue
            if isinstance(reply, Exception):
                future.set_exception(reply)
            else:
                future.set_result(reply)

    async def _send(self, calls: list[C]) -> list[Any]:
        """One reply (or exception) per call, in order."""
        raise NotImplementedError


class _RedisBatches[C](_Batches[C]):
    """Batches sent to Redis as pipelines (each call alone on a Redis Cluster)."""

    def __init__(self, redis: Redis, *, most: int = 256) -> None:
        super().__init__(most)
        self._redis = redis
        self._alone = isinstance(redis, RedisCluster)
        self.pipelines = 0  # sent so far (figures and tests)

    async def _pipeline(self, queue: Callable[[Pipeline], None]) -> list[Any]:
        self.pipelines += 1
        async with self._redis.pipeline(transaction=False) as pipe:
            queue(pipe)
            replies: list[Any] = await pipe.execute(raise_on_error=False)
        return replies


type _ScriptCall = tuple[Sequence[KeyT], Sequence[EncodableT]]


class ScriptBatches(_RedisBatches[_ScriptCall]):
    """``await batches(keys=…, args=…)``: one call of the script (as redis-py's
    ``register_script`` would make it), batched with its neighbours."""

    def __init__(self, redis: Redis, source: str, *, most: int = 256) -> None:
        super().__init__(redis, most=most)
        self._script = redis.register_script(source)

    async def __call__(self, keys: Sequence[KeyT] = (), args: Sequence[EncodableT] = ()) -> Any:
        if self._alone:
            return await self._script(keys=list(keys), args=list(args))
        return await self._call((keys, args))

    async def _send(self, calls: list[_ScriptCall]) -> list[Any]:
        replies = await self._evalsha(calls)
        lost = [i for i, reply in enumerate(replies) if isinstance(reply, NoScriptError)]
        if lost:
            await self._redis.script_load(self._script.script)
            again = await self._evalsha([calls[i] for i in lost])
            for i, reply in zip(lost, again, strict=True):
                replies[i] = reply
        return replies

    async def _evalsha(self, calls: list[_ScriptCall]) -> list[Any]:
        def queue(pipe: Pipeline) -> None:
            for keys, args in calls:
                pipe.evalsha(self._script.sha, len(keys), *keys, *args)

        return await self._pipeline(queue)


type Queue = Callable[[Pipeline], None]  # queues one call's commands on a pipeline


class PipelineBatches(_RedisBatches[Queue]):
    """``await batches(queue)``: the replies of the commands ``queue`` put on the
    pipeline, in order (the first failed command's error is raised)."""

    async def __call__(self, queue: Queue) -> list[Any]:
        if self._alone:
            async with self._redis.pipeline(transaction=False) as pipe:
                queue(pipe)
                alone: list[Any] = await pipe.execute()
            return alone
        replies: list[Any] = await self._call(queue)
        return replies

    async def _send(self, calls: list[Queue]) -> list[Any]:
        sizes: list[int] = []

        def queue_all(pipe: Pipeline) -> None:
            for queue in calls:
                before = len(pipe)
                queue(pipe)
                sizes.append(len(pipe) - before)

        replies = await self._pipeline(queue_all)
        answers: list[Any] = []
        start = 0
        for size in sizes:
            own = replies[start : start + size]
            start += size
            failed = next((reply for reply in own if isinstance(reply, Exception)), None)
            answers.append(own if failed is None else failed)
        return answers


type _Insert = tuple[Document, dict[str, Any]]  # the document, and what ``encoded`` made of it


def encoded(document: Document) -> dict[str, Any]:
    """A new document as Beanie's ``get_dict(document, to_db=True)`` encodes it (keeping
    nulls, as every document here does), by pydantic's own serializer: the same dict, in
    a fourteenth of the time (5.5 against 74 to 82 µs for an order; a quarter of a won
    race's CPU went to Beanie's encoder, py-spy of ``bench/hot_path.py``). Beanie's
    encoder walks every field in Python; it leaves out computed fields and an ``_id`` not
    yet given, and so does this. That the two agree for every document the services
    insert is tested (``tests/integration/common/test_unit_of_work.py``)."""
    raw: dict[str, Any] = document.model_dump(by_alias=True, exclude_computed_fields=True)
    if raw.get("_id") is None:
        raw.pop("_id", None)
    return raw


class InsertBatches(_Batches[_Insert]):
    """``await inserts.insert(document)``: one new document, inserted with the others of
    its collection that came in the same turn, in one ``insert_many`` (unordered: one
    document refused, say a duplicate key, refuses that caller alone, with the
    ``DuplicateKeyError`` or ``WriteError`` its own ``insert_one`` would have raised).

    What Beanie's ``Document.insert`` would send (``encoded``); none of its extras (event
    actions, revisions, state management, links) is used by the services."""

    def __init__(self, *, most: int = 256) -> None:
        super().__init__(most)
        self.commands = 0  # insert_many commands sent so far (figures and tests)

    async def insert(self, document: Document) -> None:
        raw = encoded(document)
        await self._call((document, raw))
        if document.id is None:  # the id pymongo gave it
            document.id = PydanticObjectId(raw["_id"])

    async def _send(self, calls: list[_Insert]) -> list[Any]:
        replies: list[Any] = [None] * len(calls)
        by_class: dict[type[Document], list[int]] = {}
        for index, (document, _) in enumerate(calls):
            by_class.setdefault(type(document), []).append(index)
        for kind, indexes in by_class.items():
            self.commands += 1
            raws = [calls[i][1] for i in indexes]
            try:
                await kind.get_pymongo_collection().insert_many(raws, ordered=False)
            except BulkWriteError as error:
                refusals = error.details.get("writeErrors", [])
                if error.details.get("writeConcernErrors") or not refusals:
                    for i in indexes:
                        replies[i] = error
                    continue
                for refused in refusals:
                    kind_of = DuplicateKeyError if refused.get("code") == 11000 else WriteError
                    replies[indexes[refused["index"]]] = kind_of(
                        refused.get("errmsg"), refused.get("code"), refused
                    )
            except PyMongoError as error:  # this collection's insert failed, not the others'
                for i in indexes:
                    replies[i] = error
        return replies

"""Redis calls batched per turn of the event loop, against the real redis-server: each
caller gets its own reply or its own error, and nothing is lost, doubled or left waiting."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable

import pytest
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from backend.common.batches import PipelineBatches, ScriptBatches
from backend.common.runtime import open_runtime
from backend.common.settings import Settings
from tools.devstack.processes import free_port

pytestmark = pytest.mark.integration

# Counts the call in KEYS[1] and answers with the caller's ARGV[1] and the count it saw.
# The random comment makes each test's script new to Redis: its first call finds it
# missing (NOSCRIPT), as after a Redis restart.
COUNT = """
-- {nonce}
local seen = redis.call('INCR', KEYS[1])
return {{ARGV[1], seen}}
"""


def counting(redis: Redis, **options: int) -> ScriptBatches:
    return ScriptBatches(redis, COUNT.format(nonce=secrets.token_hex(8)), **options)


async def test_calls_made_at_once_go_out_together_and_each_gets_its_own_reply(
    redis: Redis,
) -> None:
    batches = counting(redis)
    await batches(["calls"], ["first"])  # Redis has the script from here on
    before = batches.pipelines
    replies = await asyncio.gather(*(batches(["calls"], [f"caller-{i}"]) for i in range(300)))
    assert [reply[0] for reply in replies] == [f"caller-{i}" for i in range(300)]
    assert sorted(reply[1] for reply in replies) == list(range(2, 302))  # each counted once
    assert await redis.get("calls") == "301"
    assert batches.pipelines - before == 2  # 300 calls: pipelines of 256 and 44, not 300


async def test_a_lone_call_is_answered_alone(redis: Redis) -> None:
    batches = counting(redis)
    assert await batches(["calls"], ["alone"]) == ["alone", 1]
    assert await batches(["calls"], ["alone again"]) == ["alone again", 2]
    assert batches.pipelines == 3  # NOSCRIPT once, then one pipeline per call


async def test_a_call_that_fails_fails_alone(redis: Redis) -> None:
    await redis.set("not-a-number", "x")
    batches = counting(redis, most=8)

    async def call(key: str, name: str) -> object:
        try:
            return await batches([key], [name])
        except ResponseError as error:
            return error

    keys = ["calls" if i != 3 else "not-a-number" for i in range(8)]
    replies = await asyncio.gather(*(call(key, f"caller-{i}") for i, key in enumerate(keys)))
    assert isinstance(replies[3], ResponseError)
    assert "not an integer" in str(replies[3])
    assert [r for i, r in enumerate(replies) if i != 3] == [
        [f"caller-{i}", seen] for seen, i in enumerate((0, 1, 2, 4, 5, 6, 7), start=1)
    ]
    assert await redis.get("not-a-number") == "x"


async def test_a_caller_that_goes_away_leaves_the_others_answered(redis: Redis) -> None:
    batches = counting(redis)
    calls = [asyncio.create_task(batches(["calls"], [f"caller-{i}"])) for i in range(20)]
    await asyncio.sleep(0)  # every call is waiting for the batch
    calls[5].cancel()
    replies = await asyncio.gather(*calls, return_exceptions=True)
    assert isinstance(replies[5], asyncio.CancelledError)
    assert [r[0] for i, r in enumerate(replies) if i != 5] == [  # type: ignore[index]
        f"caller-{i}" for i in range(20) if i != 5
    ]
    # Its command had gone out already: counted, as any command sent before a hang-up.
    assert await redis.get("calls") == "20"


async def test_a_redis_out_of_reach_fails_every_caller_and_none_is_left_waiting() -> None:
    gone = Redis(port=free_port(), socket_connect_timeout=1, retry=Retry(NoBackoff(), 0))
    try:
        batches = counting(gone)
        async with asyncio.timeout(10):
            replies = await asyncio.gather(
                *(batches(["calls"], [f"caller-{i}"]) for i in range(10)),
                return_exceptions=True,
            )
        assert all(isinstance(reply, RedisConnectionError) for reply in replies)
        # The next calls, once Redis is back or not, start afresh: nothing is stuck.
        async with asyncio.timeout(10):
            again = await asyncio.gather(batches(["calls"], ["later"]), return_exceptions=True)
        assert isinstance(again[0], RedisConnectionError)
    finally:
        await gone.aclose()


async def test_a_callers_commands_stay_together_and_one_wins_the_lock_they_race_for(
    redis: Redis,
) -> None:
    batches = PipelineBatches(redis)

    def take(i: int) -> Callable[[Pipeline], None]:
        def queue(pipe: Pipeline) -> None:  # as TicketCards.lock_priced queues its four
            pipe.set("lock", f"caller-{i}", nx=True)
            pipe.get("lock")
            pipe.incr(f"tries:{i}")
            pipe.hmget("card", ["owner", "status"])

        return queue

    await redis.hset("card", mapping={"owner": "seller", "status": "available"})  # type: ignore[misc]  # redis-py 7 stubs: sync|async union
    replies = await asyncio.gather(*(batches(take(i)) for i in range(300)))
    winners = [i for i, (won, *_) in enumerate(replies) if won]
    assert len(winners) == 1
    holder = f"caller-{winners[0]}"
    assert all(reply[1:] == [holder, 1, ["seller", "available"]] for reply in replies)
    assert batches.pipelines == 2  # 256 and 44 callers


async def test_a_callers_failed_command_fails_that_caller_alone(redis: Redis) -> None:
    await redis.set("not-a-number", "x")
    batches = PipelineBatches(redis)

    def count(key: str) -> Callable[[Pipeline], None]:
        def queue(pipe: Pipeline) -> None:
            pipe.incr(key)
            pipe.get(key)

        return queue

    replies = await asyncio.gather(
        batches(count("a")), batches(count("not-a-number")), batches(count("b")),
        return_exceptions=True,
    )  # fmt: skip
    assert replies[0] == [1, "1"]
    assert isinstance(replies[1], ResponseError)
    assert replies[2] == [1, "1"]
    assert batches.pipelines == 1


async def test_on_a_redis_cluster_each_call_goes_out_alone_to_its_slot(
    settings: Settings, redis_cluster_url: str
) -> None:
    # Through the runtime's client, as the services use it: its slot map is read when the
    # runtime opens. (A lazy client, sent 30 first calls at once, counted some twice.)
    on_cluster = settings.model_copy(update={"redis_url": redis_cluster_url, "redis_cluster": True})
    async with open_runtime("orders", on_cluster, []) as runtime:
        for round_ in range(3):  # each with a script new to the cluster (NOSCRIPT first)
            batches = counting(runtime.redis)
            names = [f"{{slot-{i}}}:{secrets.token_hex(4)}" for i in range(60)]  # every master
            replies = await asyncio.gather(*(batches([name], [name]) for name in names))
            assert replies == [[name, 1] for name in names], f"round {round_}"
            assert batches.pipelines == 0
            assert [await runtime.redis.get(name) for name in names] == ["1"] * 60

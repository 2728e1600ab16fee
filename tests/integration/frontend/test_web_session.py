"""The web session's store in the real Redis (as in production, where Reflex keeps its
state there too): tokens expire with their TTL, codes are single use, and Redis keys never
hold a session id or a code in clear."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from ticketing_ui.web_session import CODE_SECONDS, RedisStore, WebSessions, new_id

pytestmark = pytest.mark.integration

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJl"


async def test_a_signed_in_session_lives_in_redis_for_the_tokens_lifetime(redis: Redis) -> None:
    sessions, before = WebSessions(RedisStore(redis)), new_id()
    code = await sessions.start(token=TOKEN, ttl_s=7200, issued_under=before)
    activated = await sessions.activate(code, before)

    assert activated is not None
    assert 7190 <= activated.max_age <= 7200
    assert await sessions.token(activated.session_id) == TOKEN
    assert await sessions.token(before) == ""
    keys = [key async for key in redis.scan_iter("*")]
    assert len(keys) == 1  # the code is spent
    assert 7190 <= await redis.ttl(keys[0]) <= 7200
    assert activated.session_id not in keys[0]
    assert await redis.get(keys[0]) == TOKEN


async def test_a_sign_in_code_in_redis_is_hashed_short_lived_and_single_use(redis: Redis) -> None:
    sessions, before = WebSessions(RedisStore(redis)), new_id()
    code = await sessions.start(token=TOKEN, ttl_s=7200, issued_under=before)
    keys = [key async for key in redis.scan_iter("*:code:*")]
    assert len(keys) == 1
    assert code not in keys[0]
    assert 0 < await redis.ttl(keys[0]) <= CODE_SECONDS

    assert await sessions.activate(code, new_id()) is None  # another browser's cookie
    assert await sessions.activate(code, before) is None
    assert [key async for key in redis.scan_iter("*")] == []  # its session went with it


async def test_sign_out_deletes_the_session_from_redis(redis: Redis) -> None:
    sessions, before = WebSessions(RedisStore(redis)), new_id()
    activated = await sessions.activate(
        await sessions.start(token=TOKEN, ttl_s=7200, issued_under=before), before
    )
    assert activated is not None
    await sessions.end(activated.session_id)
    assert await sessions.token(activated.session_id) == ""
    assert [key async for key in redis.scan_iter("*")] == []

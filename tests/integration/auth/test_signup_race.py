"""Concurrent signups for one email, and the events a user's changes publish."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import datetime
from typing import Any, cast

import httpx
import pytest
from bson import ObjectId
from pymongo import AsyncMongoClient
from redis.asyncio import Redis

from backend.common.keys import RedisKeys
from backend.common.settings import Settings

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"
RACERS = 20
DEADLINE_SECONDS = 10.0
EVENT_FIELDS = {"id", "occurredAt", "version", "userId", "email", "displayName", "roles"}

type Mongo = AsyncMongoClient[dict[str, object]]
type StreamEntry = tuple[str, dict[str, str]]


def email_variant(i: int) -> str:
    """The i-th spelling of ada@example.com: letter case, domain case, spaces and tabs."""
    local = "".join(c.upper() if (i >> bit) & 1 else c for bit, c in enumerate("ada"))
    domain = "EXAMPLE.com" if i & 8 else "example.com"
    return f"{' ' * (i % 3)}{local}@{domain}{'\t' if i & 16 else ''}"


async def sign_up(client: httpx.AsyncClient, email: str) -> dict[str, Any]:
    response = await client.post("/api/users/signup", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text
    user: dict[str, Any] = response.json()
    return user


def users_of(mongo: Mongo, settings: Settings) -> Any:
    return mongo[settings.database_name("auth")]["users"]


async def poll[T](probe: Callable[[], Awaitable[T]], done: Callable[[T], bool], what: str) -> T:
    """Call ``probe`` until ``done`` holds for its answer; fail after the deadline."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE_SECONDS
    while True:
        answer = await probe()
        if done(answer):
            return answer
        if loop.time() > deadline:
            pytest.fail(f"timed out after {DEADLINE_SECONDS}s waiting for {what}; last: {answer}")
        await asyncio.sleep(0.02)


async def stream_entries(redis: Redis, keys: RedisKeys) -> list[StreamEntry]:
    return cast(list[StreamEntry], await redis.xrange(keys.stream("users")))


async def events_of_type(
    redis: Redis, keys: RedisKeys, event_type: str, count: int = 1
) -> list[dict[str, Any]]:
    """Wait until the users stream holds ``count`` events of ``event_type``; their data."""

    async def read() -> list[StreamEntry]:
        entries = await stream_entries(redis, keys)
        return [entry for entry in entries if entry[1].get("type") == event_type]

    entries = await poll(read, lambda found: len(found) >= count, f"{count} {event_type} event(s)")
    for _, fields in entries:
        assert set(fields) == {"type", "data"}, fields
    return [json.loads(fields["data"]) for _, fields in entries]


async def outbox_drained(mongo: Mongo, settings: Settings, user_id: str) -> None:
    async def read() -> dict[str, Any] | None:
        document: dict[str, Any] | None = await users_of(mongo, settings).find_one(
            {"_id": ObjectId(user_id)}
        )
        return document

    await poll(read, lambda doc: doc is not None and doc["outbox"] == [], "an empty outbox")


async def test_only_one_signup_wins_when_the_same_email_races(
    auth_url: str, mongo: Mongo, settings: Settings
) -> None:
    emails = [email_variant(i) for i in range(RACERS)]
    assert len(set(emails)) == RACERS
    async with AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(httpx.AsyncClient(base_url=auth_url, timeout=30))
            for _ in emails
        ]
        responses = await asyncio.gather(
            *(
                http.post("/api/users/signup", json={"email": email, "password": PASSWORD})
                for http, email in zip(clients, emails, strict=True)
            )
        )
        statuses = sorted(response.status_code for response in responses)
        assert statuses == [201] + [409] * (RACERS - 1), [r.text for r in responses]

        winner = next(i for i, response in enumerate(responses) if response.status_code == 201)
        assert responses[winner].json()["email"] == "ada@example.com"
        for response in responses:
            if response.status_code == 409:
                assert response.json() == {
                    "errors": [{"message": "Email is already in use", "field": "email"}]
                }
                assert "set-cookie" not in response.headers
        me = await clients[winner].get("/api/users/currentuser")
        assert me.json()["currentUser"]["id"] == responses[winner].json()["id"]

    users = await users_of(mongo, settings).find({}).to_list()
    assert [user["email"] for user in users] == ["ada@example.com"]


async def test_signup_publishes_user_created_through_the_outbox(
    client: httpx.AsyncClient, mongo: Mongo, redis: Redis, keys: RedisKeys, settings: Settings
) -> None:
    user = await sign_up(client, " Ada@Example.com")

    await outbox_drained(mongo, settings, user["id"])
    # Drained: the relay has published every entry, and nothing is left to publish again.
    [event] = await events_of_type(redis, keys, "UserCreated")
    assert set(event) == EVENT_FIELDS
    assert event["userId"] == user["id"]
    assert event["email"] == "ada@example.com"
    assert event["displayName"] == "ada"
    assert event["version"] == 0
    assert isinstance(event["id"], str) and event["id"]
    assert datetime.fromisoformat(event["occurredAt"]).utcoffset() is not None


async def test_update_me_publishes_user_updated_with_version_1(
    client: httpx.AsyncClient, mongo: Mongo, redis: Redis, keys: RedisKeys, settings: Settings
) -> None:
    user_id = (await sign_up(client, "ada@example.com"))["id"]
    [user_created] = await events_of_type(redis, keys, "UserCreated")

    response = await client.patch("/api/users/me", json={"displayName": "Ada L."})
    assert response.status_code == 200, response.text

    [event] = await events_of_type(redis, keys, "UserUpdated")
    assert set(event) == EVENT_FIELDS
    assert event["userId"] == user_id
    assert event["email"] == "ada@example.com"
    assert event["displayName"] == "Ada L."
    assert event["version"] == 1
    assert event["id"] != user_created["id"]
    entries = await stream_entries(redis, keys)
    assert [fields["type"] for _, fields in entries] == ["UserCreated", "UserUpdated"]
    await outbox_drained(mongo, settings, user_id)
    document = await users_of(mongo, settings).find_one({"email": "ada@example.com"})
    assert document is not None and document["version"] == 1

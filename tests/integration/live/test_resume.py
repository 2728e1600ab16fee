"""Resuming with ``since``: exactly what was missed, then live; a cursor the journal can no
longer serve gets ``resync`` and a snapshot."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from websockets.exceptions import ConnectionClosed

from backend.common.keys import RedisKeys
from backend.common.settings import Settings
from tests.support.api import User, eventually
from tests.support.live import LiveClient
from tests.support.live_fixtures import (
    LISTING_SERVICES,
    Frame,
    append_all,
    changes,
    cursors,
    filler,
    journal_cursor,
    journal_of,
    listing,
    live_replica,
    read_to_cursor,
    subscribe,
)
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.integration


@pytest.fixture
async def listing_stack(market_settings: Settings) -> AsyncIterator[Stack]:
    async with running_stack(market_settings, only=LISTING_SERVICES) as running:
        yield running


async def test_reconnecting_with_since_gets_exactly_the_missed_messages_then_live(
    listing_stack: Stack, redis: Redis, keys: RedisKeys
) -> None:
    url = listing_stack.url
    async with User(url, "seller") as seller:
        steady = await LiveClient.open(url)  # stays connected throughout: the reference
        leaving = await LiveClient.open(url)
        returning: LiveClient | None = None
        try:
            await subscribe(steady, "tickets")
            await subscribe(leaving, "tickets")
            early = [await seller.sell(title=f"Early {i}") for i in range(3)]
            await read_to_cursor(steady, 3)
            last = cursors(await read_to_cursor(leaving, 3))[-1]
            await leaving.close()

            # Missed while away: two listings and a price change.
            await seller.sell(title="Missed 1")
            await seller.sell(title="Missed 2")
            edited = await seller.edit(early[0]["id"], price={"amount": 9_900, "currency": "usd"})
            assert edited.status_code == 200, edited.text
            await read_to_cursor(steady, last + 3)

            # Back, while more listings keep coming.
            selling = asyncio.gather(*(seller.sell(title=f"During {i}") for i in range(4)))
            returning = await LiveClient.open(url)
            backlog = await subscribe(returning, "tickets", since=last)
            await selling
            await seller.sell(title="Live")
            final = await eventually(
                lambda: journal_cursor(redis, keys), lambda c: c >= last + 3 + 4 + 1
            )
            await read_to_cursor(steady, final)
            await read_to_cursor(returning, final)

            assert [m["type"] for m in backlog][:3] == ["ticket.listed"] * 2 + [
                "ticket.price_changed"
            ]
            assert "snapshot" not in {m["type"] for m in returning.seen}
            assert cursors(returning.seen) == list(range(last + 1, final + 1))
            # The very frames the steady client got, no more, no fewer.
            assert changes(returning.seen) == [
                m for m in changes(steady.seen) if m["cursor"] > last
            ]
        finally:
            await steady.close()
            if returning is not None:
                await returning.close()


# -- a cursor the journal cannot serve -------------------------------------------------------
def is_resync_then_snapshots(messages: list[Frame], topics: list[str]) -> bool:
    return [m["type"] for m in messages] == ["resync", *["snapshot"] * len(topics)] and [
        m["topic"] for m in messages[1:]
    ] == topics


async def test_a_cursor_older_than_the_history_gets_resync_then_snapshot_then_live(
    settings: Settings, redis: Redis, keys: RedisKeys
) -> None:
    settings = settings.model_copy(update={"live_history": 10})
    journal = journal_of(redis, settings)
    async with live_replica(settings) as url:
        listed = listing("Seat 1")
        assert await journal.append(listed) == 1
        # Redis trims a capped stream by whole nodes of 100 entries ("MAXLEN ~").
        await append_all(journal, [filler(i) for i in range(300)], at_once=50)
        oldest = await redis.xrange(keys.live_stream(), count=1)
        assert oldest is not None
        assert int(str(oldest[0][0]).split("-")[0]) > 2, "the history was not trimmed"

        client = await LiveClient.open(url)
        try:
            topics = ["tickets", f"ticket:{listed.ticket_id}"]
            answer = await subscribe(client, *topics, since=1)
            assert is_resync_then_snapshots(answer, topics), answer
            assert answer[0]["topics"] == topics
            assert [t["id"] for t in answer[1]["tickets"]] == [listed.ticket_id]
            assert answer[2]["ticket"]["id"] == listed.ticket_id
            assert answer[1]["cursor"] == answer[2]["cursor"] == 301
            await journal.append(filler(301))
            assert cursors(await read_to_cursor(client, 302)) == [302]
        finally:
            await client.close()


async def test_a_current_cursor_gets_nothing_but_live_and_a_future_one_a_resync(
    settings: Settings, redis: Redis
) -> None:
    journal = journal_of(redis, settings)
    async with live_replica(settings) as url:
        listed = listing("Seat 1")
        await journal.append(listed)
        current, future = await LiveClient.open(url), await LiveClient.open(url)
        try:
            assert await subscribe(current, "tickets", since=1) == []
            # Ahead of the journal (one reset since the client's cursor): start afresh.
            answer = await subscribe(future, "tickets", since=1_000)
            assert is_resync_then_snapshots(answer, ["tickets"]), answer
            assert answer[1]["cursor"] == 1
            assert [t["id"] for t in answer[1]["tickets"]] == [listed.ticket_id]
            await journal.append(filler(2))
            for client in (current, future):
                assert cursors(await read_to_cursor(client, 2)) == [2]
        finally:
            await current.close()
            await future.close()


# -- backlogs larger than a client's queue, or than one read ----------------------------------
async def resume_outcome(client: LiveClient, since: int) -> tuple[list[Frame], str | None]:
    """What came before ``subscribed``, or how the connection was closed instead."""
    try:
        return await subscribe(client, "tickets", since=since), None
    except ConnectionClosed as closed:
        return client.seen, f"closed {closed.rcvd}"


def caught_up(answer: list[Frame], since: int, last: int) -> bool:
    """Every message after ``since`` in order, or a resync and a fresh snapshot."""
    resynced = [m["type"] for m in answer] == ["resync", "snapshot"]
    return resynced or cursors(answer) == list(range(since + 1, last + 1))


async def test_resuming_more_messages_than_the_queue_holds_does_not_drop_the_client(
    settings: Settings, redis: Redis
) -> None:
    settings = settings.model_copy(update={"live_queue_size": 5})
    journal = journal_of(redis, settings)
    async with live_replica(settings) as url:
        await append_all(journal, [filler(i) for i in range(20)])
        client = await LiveClient.open(url)
        try:
            answer, closed = await resume_outcome(client, since=0)
            assert closed is None, f"{closed} after {len(changes(answer))} messages"
            assert caught_up(answer, 0, 20), answer[-3:]
            await journal.append(filler(21))
            assert cursors(await read_to_cursor(client, 21))[-1] == 21
        finally:
            await client.close()


async def test_resuming_more_than_ten_thousand_messages_leaves_no_gap(
    settings: Settings, redis: Redis
) -> None:
    # A queue and a history large enough for the whole backlog.
    settings = settings.model_copy(update={"live_queue_size": 20_000, "live_history": 20_000})
    journal = journal_of(redis, settings)
    async with live_replica(settings) as url:
        await append_all(journal, [filler(i) for i in range(10_005)], at_once=50)
        client = await LiveClient.open(url)
        try:
            answer, closed = await resume_outcome(client, since=0)
            assert closed is None, closed
            await journal.append(filler(10_006))
            await read_to_cursor(client, 10_006, timeout=30.0)
            assert caught_up(answer, 0, 10_005), f"resumed up to {cursors(answer)[-1]}"
        finally:
            await client.close()

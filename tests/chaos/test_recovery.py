"""Regressions found by the chaos test: background workers and payments survive being
cut off (a Redis error, a crash mid-payment) without leaving an order open for ever."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from beanie import Document, PydanticObjectId
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from backend.common.batches import InsertBatches
from backend.common.bus import FactBus
from backend.common.db import open_database
from backend.common.keys import RedisKeys
from backend.common.outbox import OutboxRelay
from backend.common.settings import Settings
from backend.common.ticket_locks import HolderKind, TicketLocks
from backend.common.unit_of_work import UnitOfWork
from backend.expiration.scheduler import ExpirationScheduler
from backend.payments.gateway import PaymentGateway
from backend.payments.models import OrderReplica, Payment
from backend.payments.service import Payments
from tests.support.api import eventually
from wire.values import Money, OrderStatus, PaymentStatus

pytestmark = pytest.mark.integration


class Crash(BaseException):
    """The process dies here: nothing after it runs (not even ``except Exception``)."""


async def test_expiration_worker_keeps_firing_after_a_redis_error(
    redis: Redis, keys: RedisKeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    scheduler = ExpirationScheduler(redis, keys)
    real_fire_due = scheduler.fire_due
    failures = [RedisConnectionError("Connection closed by server.")]

    async def flaky_fire_due(*args: Any, **kwargs: Any) -> int:
        if failures:  # the first round meets a connection cut by CLIENT KILL
            raise failures.pop()
        return await real_fire_due(*args, **kwargs)

    monkeypatch.setattr(scheduler, "fire_due", flaky_fire_due)
    worker = asyncio.create_task(scheduler.run())
    try:
        await scheduler.schedule(
            order_id="o1", ticket_id="t1", deadline=datetime.now(UTC) - timedelta(seconds=1)
        )
        await eventually(scheduler.pending, lambda n: n == 0 or worker.done(), timeout=5)
        assert not worker.done(), worker.exception()
        assert await scheduler.pending() == 0
    finally:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)


@pytest.fixture
async def payments(
    market_settings: Settings, redis: Redis, keys: RedisKeys
) -> AsyncIterator[Payments]:
    mongo = await open_database(
        market_settings.mongo_url,
        market_settings.database_name("payments"),
        [Payment, OrderReplica],
    )
    gateway = PaymentGateway(market_settings)
    try:
        relay = OutboxRelay([Payment], FactBus(redis, keys))
        yield Payments(
            gateway=gateway,
            locks=TicketLocks(redis, keys),
            uow=UnitOfWork(relay),
            keys=keys,
            hold_s=60,
            lease_s=market_settings.payment_lease_seconds,
        )
    finally:
        await gateway.close()
        await mongo.close()


async def test_reconciler_keeps_running_after_a_failed_round(
    payments: Payments, monkeypatch: pytest.MonkeyPatch
) -> None:
    rounds: list[float] = []
    three_rounds = asyncio.Event()

    async def reconcile_open(*, older_than_s: float) -> int:
        rounds.append(older_than_s)
        if len(rounds) == 3:
            three_rounds.set()
        if len(rounds) == 1:
            raise RedisConnectionError("Connection closed by server.")
        return 0

    monkeypatch.setattr(payments, "reconcile_open", reconcile_open)
    worker = asyncio.create_task(payments.run_reconciler(every_s=0.05))
    waiter = asyncio.create_task(three_rounds.wait())
    try:
        done, _ = await asyncio.wait([worker, waiter], timeout=5, return_when="FIRST_COMPLETED")
        assert worker not in done, worker.exception()
        assert three_rounds.is_set()
    finally:
        for task in (worker, waiter):
            task.cancel()
        await asyncio.gather(worker, waiter, return_exceptions=True)


async def _order(redis: Redis, keys: RedisKeys) -> OrderReplica:
    order = OrderReplica(
        id=str(PydanticObjectId()),
        ticket_id=str(PydanticObjectId()),
        buyer_id="buyer",
        price=Money(amount=4_200, currency="usd"),
        status=OrderStatus.CREATED,
        expires_at=datetime.now(UTC) + timedelta(seconds=60),
        version=0,
    )
    await order.insert()
    assert await TicketLocks(redis, keys).lock_for_order(order.ticket_id, order.id, 60_000)
    return order


@pytest.mark.parametrize("cut_at", ["record", "stripe"])
async def test_a_payment_cut_off_never_leaves_a_hold_without_a_record(
    payments: Payments, redis: Redis, keys: RedisKeys, monkeypatch: pytest.MonkeyPatch, cut_at: str
) -> None:
    """A paying hold makes the order's expiry a no-op; only the payment's record lets the
    reconciler end the order later. Without a record, the order stays open for ever."""
    order = await _order(redis, keys)

    async def crash(*_: Any, **__: Any) -> Any:
        raise Crash

    insert = InsertBatches.insert

    async def crash_recording_a_payment(inserts: InsertBatches, document: Document) -> None:
        if isinstance(document, Payment):  # where UnitOfWork.add writes the record
            raise Crash
        await insert(inserts, document)

    if cut_at == "record":
        monkeypatch.setattr(InsertBatches, "insert", crash_recording_a_payment)
    else:
        monkeypatch.setattr(payments.gateway, "create_intent", crash)
    with pytest.raises(Crash):
        await payments.pay(user_id="buyer", order_id=order.id, payment_method_id="pm_card_visa")
    monkeypatch.undo()

    holder = await payments.locks.holder(order.ticket_id)
    payment = await Payment.find_one(Payment.order_id == order.id)
    assert holder is not None
    if holder.kind is HolderKind.PAYING:
        assert payment is not None, "a paying hold that no payment record accounts for"
    if payment is not None:  # the reconciler ends it: nothing was charged
        long_ago = datetime.now(UTC) - timedelta(minutes=5)
        await Payment.get_pymongo_collection().update_one(
            {"_id": payment.id}, {"$set": {"created_at": long_ago, "updated_at": long_ago}}
        )
        assert await payments.reconcile_open(older_than_s=0) == 1
        settled = await Payment.find_one(Payment.order_id == order.id)
        assert settled is not None and settled.status is PaymentStatus.FAILED
        if holder.kind is HolderKind.PAYING:
            assert await payments.locks.holder(order.ticket_id) is None

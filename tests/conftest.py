"""Real infrastructure for the tests: a private redis-server, the mongoeco wire server,
localstripe, the Stripe Connect stand-in and the mail sink, each started once per session
on a free loopback port; every test gets a clean Redis and its own databases."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from pymongo import AsyncMongoClient
from redis.asyncio import Redis

from backend.common.keys import RedisKeys
from backend.common.settings import Settings
from tests.support.mail import MailSink
from tools.devstack.processes import (
    free_port,
    start_connect,
    start_mailsink,
    start_mongo,
    start_redis,
    start_redis_cluster,
    start_stripe,
)

# The whole-stack fixtures (stack, market_settings, signed-up users) for every folder;
# folders that also need the live gateway override ``stack``.
pytest_plugins = ["tests.support.rest_stack"]

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
TEST_JWT_KEY = "test-jwt-key-0123456789abcdef0123456789abcdef"


@pytest.fixture(scope="session")
def logs_dir() -> Path:
    # Under pytest-xdist each worker starts its own servers: each writes its own logs.
    path = ARTIFACTS / "logs" / os.environ.get("PYTEST_XDIST_WORKER", "")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def redis_url(logs_dir: Path) -> Iterator[str]:
    port = free_port()
    child = start_redis(port, log=logs_dir / "redis.log")
    yield f"redis://127.0.0.1:{port}/0"
    child.stop()


@pytest.fixture(scope="session")
def mongo_url(logs_dir: Path) -> Iterator[str]:
    port = free_port()
    child = start_mongo(port, log=logs_dir / "mongo.log")
    yield f"mongodb://127.0.0.1:{port}/?directConnection=true"
    child.stop()


@pytest.fixture(scope="session")
def stripe_url(logs_dir: Path) -> Iterator[str]:
    port = free_port()
    child = start_stripe(port, log=logs_dir / "localstripe.log")
    yield f"http://127.0.0.1:{port}"
    child.stop()


@pytest.fixture(scope="session")
def connect_url(logs_dir: Path) -> Iterator[str]:
    """The Stripe Connect stand-in's base URL (localstripe has no Connect)."""
    port = free_port()
    child = start_connect(port, log=logs_dir / "connect.log")
    yield f"http://127.0.0.1:{port}"
    child.stop()


@pytest.fixture(scope="session")
def mail_sink(logs_dir: Path) -> Iterator[MailSink]:
    """The SMTP sink, shared by the session: filter its messages by recipient."""
    smtp_port, http_port = free_port(), free_port()
    child = start_mailsink(smtp_port, http_port, log=logs_dir / "mailsink.log")
    yield MailSink(f"smtp://127.0.0.1:{smtp_port}", f"http://127.0.0.1:{http_port}")
    child.stop()


@pytest.fixture(scope="session")
def redis_cluster_url(logs_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real 3-master Redis Cluster on loopback, started for the first test that asks."""
    data = tmp_path_factory.mktemp("redis-cluster")
    children, url = start_redis_cluster(3, logs=logs_dir, data=data)
    yield url
    for child in reversed(children):
        child.stop()


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url, decode_responses=True)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture
async def mongo(mongo_url: str) -> AsyncIterator[AsyncMongoClient[dict[str, object]]]:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo_url, tz_aware=True)
    yield client
    await client.close()


@pytest.fixture
async def namespace(mongo: AsyncMongoClient[dict[str, object]]) -> AsyncIterator[str]:
    """A unique prefix: the test's service databases are its own, and dropped after it."""
    name = f"t{uuid.uuid4().hex[:12]}"
    yield name
    for database in await mongo.list_database_names():
        if database.startswith(f"{name}_"):
            await mongo.drop_database(database)


@pytest.fixture
def settings(redis_url: str, mongo_url: str, redis: Redis, namespace: str) -> Settings:
    return Settings(
        mongo_url=mongo_url,
        redis_url=redis_url,
        jwt_key=TEST_JWT_KEY,
        namespace=namespace,
        bus_retry_after_ms=200,
        bus_block_ms=50,
        outbox_poll_seconds=0.05,
        # Every test's users come from 127.0.0.1, and races poll POST /api/orders until a
        # lock runs out: the rate limits are out of the way here and tested on their own
        # (tests/integration/auth/test_signin_limits.py, orders/test_fair_holds.py). The
        # holds' cap and cooldown stay as in production.
        signin_address_limit=100_000,
        signup_address_limit=100_000,
        token_address_limit=100_000,
        order_rate_per_ip=100_000,
        order_rate_per_user=100_000,
        # Prices are the list prices here; the fees are tested on their own
        # (tests/unit/common/test_fees.py, tests/integration/payments/test_money.py).
        buyer_fee_bps=0,
        buyer_fee_fixed_cents=0,
        seller_fee_bps=0,
        seller_fee_fixed_cents=0,
    )


@pytest.fixture
def keys(settings: Settings) -> RedisKeys:
    return RedisKeys(settings.namespace)

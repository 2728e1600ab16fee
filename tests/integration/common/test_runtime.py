"""A service's runtime closes every client it opened, a start that fails included: a
client left open keeps its sockets until the collector finds it (and, in this suite,
fails whatever test is running then, with a ``ResourceWarning``)."""

from __future__ import annotations

import gc

import pytest
from pymongo import AsyncMongoClient
from pymongo.errors import OperationFailure

from backend.common.runtime import open_runtime
from backend.common.settings import Settings
from backend.orders.models import Order

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

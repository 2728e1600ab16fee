"""The services' Redis connections pack each command as redis-py's own packer would."""

from __future__ import annotations

from collections.abc import Sequence

import hypothesis
import pytest
from hypothesis import strategies as st
from redis.asyncio import Connection
from redis.exceptions import DataError
from redis.typing import EncodableT

from backend.common.redis_wire import PackedConnection, driver

pytestmark = pytest.mark.unit

# What the services send: text (any Unicode), bytes, integers and floats of any size.
ARGUMENTS = st.one_of(
    st.text(),
    st.binary(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
)
NAMES = st.sampled_from(["EVALSHA", "SET", b"HMGET", "CLIENT SETINFO", b"SCRIPT LOAD", "XADD"])


def wire(connection: Connection, args: Sequence[EncodableT]) -> bytes:
    return b"".join(bytes(chunk) for chunk in connection.pack_command(*args))


@hypothesis.settings(max_examples=500, derandomize=True, deadline=None)
@hypothesis.given(name=NAMES, args=st.lists(ARGUMENTS, max_size=20))
def test_a_command_goes_out_as_the_same_bytes(name: str | bytes, args: list[EncodableT]) -> None:
    ours, theirs = PackedConnection(driver_info=driver()), Connection(driver_info=driver())
    assert wire(ours, [name, *args]) == wire(theirs, [name, *args])


def test_a_long_value_goes_out_whole() -> None:
    value = "x" * 100_000  # past redis-py's buffer cutoff, where it sends chunks
    args = ("SET", "key", value)
    assert wire(PackedConnection(), args) == wire(Connection(), args)


@pytest.mark.parametrize("bad", [None, True, ["a"], {"a": 1}])
def test_what_redis_py_refuses_is_refused(bad: object) -> None:
    for connection in (PackedConnection(), Connection()):
        with pytest.raises(DataError):
            connection.pack_command("SET", "key", bad)  # type: ignore[arg-type]


def test_every_connection_shares_one_driver_info() -> None:
    assert driver() is driver()
    assert driver().lib_version  # looked up, once

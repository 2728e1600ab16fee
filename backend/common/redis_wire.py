"""How the services' Redis connections write commands: packed by hiredis, in C.

redis-py's asyncio connection packs every command in Python, one argument at a time
(``Connection.pack_command``); its synchronous connection hands the whole command to
hiredis' ``pack_command`` when hiredis is installed. The hot path sends scripts of a
dozen keys and arguments, so in a flash sale the Python packer was 13 % of the orders
worker's CPU (cProfile of ``bench.hot_path --profile sale``: 7,110 commands packed for
1,000 buyers, 254 ms). ``PackedConnection`` packs as the synchronous client does; the
bytes on the wire are the same (``tests/unit/common/test_redis_wire.py``).

Each new connection also told Redis the client library's version, which redis-py looks
up in the installed package's metadata anew for every connection (an email-header parse,
1.8 % of the orders worker's CPU in a sale while its pool grew): ``driver()`` looks it up
once per process instead.
"""

from __future__ import annotations

import functools
from typing import Any, cast

import hiredis
from redis.asyncio import Connection
from redis.driver_info import DriverInfo
from redis.exceptions import DataError
from redis.typing import EncodableT


@functools.cache
def driver() -> DriverInfo:
    """What every connection of the process tells Redis it is (``CLIENT SETINFO``)."""
    return DriverInfo()


class PackedConnection(Connection):
    """A TCP connection to Redis whose commands hiredis packs."""

    def pack_command(self, *args: EncodableT) -> list[bytes]:
        # A command name of several words ("CLIENT SETINFO") goes out as several arguments.
        head = args[0]
        if isinstance(head, str):
            args = (*head.encode().split(), *args[1:])
        elif isinstance(head, bytes) and b" " in head:
            args = (*head.split(), *args[1:])
        try:
            # (hiredis' stub types the argument as a tuple of one item)
            return [hiredis.pack_command(cast(Any, args))]
        except TypeError as refused:  # None, a bool, a list…: as redis-py refuses them
            raise DataError(str(refused)) from refused

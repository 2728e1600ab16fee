"""Run the ``mongoeco`` MongoDB wire-protocol server on loopback.

``python -m tools.devstack.mongo --port 27017 [--data DIR]`` serves a memory engine,
or a SQLite-backed one that persists in DIR.

One change to mongoeco 4.11's memory engine (``keyed_id_checks``): a document inserted
alone (every document of a wire ``insert`` command is, and every upsert) had its ``_id``
compared with every stored document's, though the engine keys its storage by ``_id``: an
insert cost what the collection's size cost. Measured with 100-document inserts over the
wire, 0.5, 0.8 and 1.2 ms per document into a collection of 0, 100 and 200; in a flash
sale the orders' inserts were 0.11 s of the stand-in's 0.28 s of CPU during the race,
taken from the two cores the services share with it. The whole-collection comparison
exists for numeric ids (1, 1.0 and Int64(1) are one ``_id`` in MongoDB but three storage
keys), and the engine makes it for them anyway; every other ``_id`` is found by its key.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import inspect
import signal
from pathlib import Path
from typing import Any


def keyed_id_checks() -> bool:
    """Compare a new document's ``_id`` with every stored one's only when it is numeric.
    True once applied; False (and nothing changed) if the engine's check is not the one
    this was written for."""
    from mongoeco.core.identity import id_contains_numeric_value
    from mongoeco.engines.memory import MemoryEngine

    check = MemoryEngine._ensure_unique_indexes
    if getattr(check, "keyed_id_checks", False):
        return True
    if "scan_payload_id" not in inspect.signature(check).parameters:
        return False

    @functools.wraps(check)
    def checked(self: Any, db_name: str, coll_name: str, candidate: Any, **options: Any) -> None:
        if options.get("scan_payload_id") and not id_contains_numeric_value(candidate.get("_id")):
            options["scan_payload_id"] = False
        check(self, db_name, coll_name, candidate, **options)

    checked.keyed_id_checks = True  # type: ignore[attr-defined]
    MemoryEngine._ensure_unique_indexes = checked  # type: ignore[method-assign]
    return True


async def serve(host: str, port: int, data_dir: Path | None) -> None:
    from mongoeco.engines.memory import MemoryEngine
    from mongoeco.engines.sqlite import SQLiteEngine
    from mongoeco.wire import AsyncMongoEcoProxyServer

    if not keyed_id_checks():
        print("mongo-wire: inserts compare every stored _id (engine changed)", flush=True)
    engine = MemoryEngine() if data_dir is None else SQLiteEngine(str(data_dir / "mongo.sqlite3"))
    server = AsyncMongoEcoProxyServer(engine=engine, host=host, port=port)
    address = await server.start()
    print(f"mongo-wire listening on {address.host}:{address.port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=27017)
    parser.add_argument("--data", type=Path, default=None, help="persist here (SQLite engine)")
    args = parser.parse_args()
    if args.data is not None:
        args.data.mkdir(parents=True, exist_ok=True)
    asyncio.run(serve(args.host, args.port, args.data))


if __name__ == "__main__":
    main()

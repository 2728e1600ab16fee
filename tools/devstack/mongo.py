"""Run the ``mongoeco`` MongoDB wire-protocol server on loopback.

``python -m tools.devstack.mongo --port 27017 [--data DIR]`` serves a memory engine,
or a SQLite-backed one that persists in DIR.

Two changes to mongoeco 4.11's memory engine, where it walks a whole collection that
MongoDB's ``_id`` index spares it; both leave numeric ids (1, 1.0 and Int64(1) are one
``_id`` in MongoDB but three storage keys) to the engine's own way:

- ``keyed_id_checks``: a document inserted alone (every document of a wire ``insert``
  command is, and every upsert) had its ``_id`` compared with every stored document's,
  though the engine keys its storage by ``_id``: an insert cost what the collection's size
  cost. Measured with 100-document inserts over the wire, 0.5, 0.8 and 1.2 ms per document
  into a collection of 0, 100 and 200; in a flash sale the orders' inserts were 0.11 s of
  the stand-in's 0.28 s of CPU during the race, taken from the two cores the services
  share with it.
- ``keyed_id_lists``: a query on ``{_id: {$in: [...]}}`` (the display names of every live
  ticket message and every ticket answer) read every document of the collection: 2.8 ms of
  the stand-in's CPU per find among 1,000 documents and 12 ms among 5,000, against
  0.45 ms for ``{_id: ...}`` (scratch, over the wire). Text and ObjectId ids are now
  found by their keys; the query's whole filter is still applied to what they find.
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


def keyed_id_lists() -> bool:
    """Find the documents of ``{_id: {$in: [...]}}`` (alone or in an ``$and``) by their
    storage keys when every listed id is text or an ObjectId, in the collection's own
    order; the engine then applies the whole filter to them as to any candidates. True
    once applied; False (and nothing changed) if the engine is not the one this was
    written for."""
    from bson import ObjectId as DriverObjectId
    from mongoeco._types._bson_objectid import ObjectId
    from mongoeco.core.query_plan import AndCondition, InCondition
    from mongoeco.engines._memory_collection import MemoryCollection
    from mongoeco.engines.memory import MemoryEngine

    candidates = MemoryEngine._candidate_items_for_plan_locked
    if getattr(candidates, "keyed_id_lists", False):
        return True
    if list(inspect.signature(candidates).parameters)[:3] != ["self", "coll", "query_plan"]:
        return False
    keyed_types = (str, ObjectId, DriverObjectId)

    def listed_ids(plan: Any) -> tuple[Any, ...] | None:
        clauses = plan.clauses if isinstance(plan, AndCondition) else (plan,)
        for clause in clauses:
            if isinstance(clause, InCondition) and clause.field == "_id":
                values: tuple[Any, ...] = clause.values
                return values if all(type(v) in keyed_types for v in values) else None
        return None

    @functools.wraps(candidates)
    def keyed(self: Any, coll: Any, query_plan: Any, **options: Any) -> list[tuple[Any, Any]]:
        ids = listed_ids(query_plan)
        keyed_here = isinstance(coll, MemoryCollection) and options.get("collation") is None
        if ids is None or not keyed_here:
            return candidates(self, coll, query_plan, **options)
        keys = {self._storage_key(value) for value in ids}
        return [(key, coll[key]) for key in coll.ordered_keys(keys)]

    keyed.keyed_id_lists = True  # type: ignore[attr-defined]
    MemoryEngine._candidate_items_for_plan_locked = keyed  # type: ignore[method-assign]
    return True


async def serve(host: str, port: int, data_dir: Path | None) -> None:
    from mongoeco.engines.memory import MemoryEngine
    from mongoeco.engines.sqlite import SQLiteEngine
    from mongoeco.wire import AsyncMongoEcoProxyServer

    if not keyed_id_checks():
        print("mongo-wire: inserts compare every stored _id (engine changed)", flush=True)
    if not keyed_id_lists():
        print("mongo-wire: finds of listed _ids read every document (engine changed)", flush=True)
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

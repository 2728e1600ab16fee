"""Run the ``mongoeco`` MongoDB wire-protocol server on loopback.

``python -m tools.devstack.mongo --port 27017 [--data DIR]`` serves a memory engine,
or a SQLite-backed one that persists in DIR.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from pathlib import Path


async def serve(host: str, port: int, data_dir: Path | None) -> None:
    from mongoeco.engines.memory import MemoryEngine
    from mongoeco.engines.sqlite import SQLiteEngine
    from mongoeco.wire import AsyncMongoEcoProxyServer

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

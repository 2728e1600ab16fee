"""The payments service's background work on its own: ``python -m backend.payments.worker``
(refunds, payouts and mail; or those named: ``… worker refunds``). For a deployment that
runs them apart from the API (``MONEY_WORKERS=false`` there). Stops on SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import asyncio
import signal

from backend.common.logs import configure_logging
from backend.common.runtime import open_runtime
from backend.common.settings import Settings
from backend.payments.app import DOCUMENTS, SERVICE, parts_of

NAMES = ("refunds", "payouts", "mail")


async def run(names: list[str]) -> None:
    settings = Settings()
    configure_logging(level=settings.log_level, json=settings.log_json)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with open_runtime(SERVICE, settings, DOCUMENTS) as runtime:
        parts = parts_of(runtime)
        runtime.start("outbox-relay", runtime.relay.run)  # its facts go out at once
        loops = parts.workers.loops()
        for name in names:
            runtime.start(name, loops[name])
        try:
            await stop.wait()
        finally:
            await runtime.stop_tasks()
            await parts.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m backend.payments.worker", description=__doc__)
    parser.add_argument("names", nargs="*", choices=NAMES, default=[])
    asyncio.run(run(parser.parse_args().names or list(NAMES)))


if __name__ == "__main__":
    main()

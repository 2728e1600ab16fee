"""The web app in front of an in-process backend, for browser tests of the web app itself.

The backend (every service and the one-origin gateway, ``tests.support.stack``) runs in one
process — this one, in a thread with its own event loop — so it starts in seconds even on a
loaded machine; the Reflex app runs as the local runner starts it
(``tools.devstack.frontend``), calls the API through that gateway, and is what the browser
opens, at ``PUBLIC_URL`` (``http://localhost:<its port>``).
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path

from backend.common.settings import Settings
from tests.support.stack import running_stack
from tools.devstack.frontend import start_frontend, wait_frontend
from tools.devstack.processes import free_port

BUILD_TIMEOUT_S = 900.0  # the first build installs npm packages, on a shared machine


@contextmanager
def backend_in_thread(settings: Settings) -> Iterator[str]:
    """Every service and the gateway, served from a thread; yields the gateway's URL."""
    started: Future[str] = Future()
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    async def serve() -> None:
        try:
            async with running_stack(settings) as stack:
                started.set_result(stack.url)
                await stop.wait()
        except BaseException as exc:
            if not started.done():
                started.set_exception(exc)
            raise

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    try:
        yield started.result(timeout=300)
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(60)
        loop.close()


@contextmanager
def web_app(settings: Settings, log: Path) -> Iterator[str]:
    """The Reflex app against the in-process backend; yields the URL the browser opens."""
    with backend_in_thread(settings) as api_url:
        port = free_port()
        public_url = f"http://localhost:{port}"
        child = start_frontend(port, public_url, api_url, log=log)
        try:
            wait_frontend(child, log, timeout=BUILD_TIMEOUT_S, echo=False)
            yield public_url
        finally:
            child.stop()


def backend_settings(mongo_url: str, redis_url: str, stripe_url: str, jwt_key: str) -> Settings:
    return Settings(
        mongo_url=mongo_url,
        redis_url=redis_url,
        jwt_key=jwt_key,
        namespace=f"t{uuid.uuid4().hex[:12]}",
        stripe_api_base=stripe_url,
    )

"""The whole backend in the test's event loop: every service on its own real socket,
behind the same one-origin gateway the local runner uses."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from starlette.applications import Starlette

from backend.common.settings import Settings
from tests.support.servers import serve
from ticketing_ui.ingress import read_ingress
from tools.devstack.gateway import create_gateway
from tools.devstack.stack import INGRESS, SERVICES


@dataclass(frozen=True)
class Stack:
    url: str  # the gateway: every /api/... route
    services: dict[str, str]  # service name -> its own base URL


def _factory(path: str) -> Callable[[Settings], Starlette]:
    module, _, name = path.partition(":")
    factory: Callable[[Settings], Starlette] = getattr(importlib.import_module(module), name)
    return factory


@asynccontextmanager
async def running_stack(
    settings: Settings, only: tuple[str, ...] | None = None
) -> AsyncIterator[Stack]:
    async with AsyncExitStack() as exits:
        services: dict[str, str] = {}
        for spec in SERVICES:
            if only is not None and spec.name not in only:
                continue
            create_app = _factory(spec.factory)
            url = await exits.enter_async_context(serve(create_app(settings)))
            services[spec.name] = url
        gateway = create_gateway(read_ingress(INGRESS), services)
        gateway_url = await exits.enter_async_context(serve(gateway))
        yield Stack(url=gateway_url, services=services)

"""The whole backend in the test's event loop: every service on its own real socket,
behind the same one-origin gateway the local runner uses."""

from __future__ import annotations

import importlib
import socket
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
from starlette.applications import Starlette
from starlette.types import ASGIApp

from backend.common.settings import Settings
from tests.support.servers import bound_socket, serve_on, url_of
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
    settings: Settings,
    only: tuple[str, ...] | None = None,
    factories: Mapping[str, Callable[[Settings], Starlette]] | None = None,
) -> AsyncIterator[Stack]:
    """The services (``only`` those named) and the gateway, started and stopped together;
    ``factories`` makes a service's app another way (e.g. with an injected clock)."""
    specs = [spec for spec in SERVICES if only is None or spec.name in only]
    sockets = {spec.name: bound_socket() for spec in specs}
    services = {name: url_of(sock) for name, sock in sockets.items()}
    made = factories or {}
    apps: list[tuple[ASGIApp, socket.socket]] = [
        (made.get(spec.name, _factory(spec.factory))(settings), sockets[spec.name])
        for spec in specs
    ]
    apps.append((create_gateway(read_ingress(INGRESS), services), bound_socket()))
    async with serve_on(apps) as urls:
        yield Stack(url=urls[-1], services=services)


@pytest.fixture(name="stack")
async def every_service(market_settings: Settings) -> AsyncIterator[Stack]:
    """The ``stack`` of folders that also watch the live gateway: every service. A
    folder's conftest takes it with ``from tests.support.stack import every_service``."""
    async with running_stack(market_settings) as running:
        yield running

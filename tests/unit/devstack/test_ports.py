"""The local runner's ports: a child's port is chosen long before the child binds it, so
a port once handed out is never handed out again, and the public port is held from the
start (a flaky run once sent the web app's traffic to a service that bound first)."""

from __future__ import annotations

import socket

import pytest

from tools.dev import reserve
from tools.devstack.processes import free_port

pytestmark = pytest.mark.unit


def test_a_port_is_handed_out_once() -> None:
    ports = [free_port() for _ in range(500)]
    assert len(set(ports)) == len(ports)


def test_the_public_port_is_held_until_released() -> None:
    port = free_port()
    held = reserve(port)
    assert held is not None
    try:
        assert reserve(port) is None  # a second runner on the same port is refused
        with socket.socket() as other, pytest.raises(OSError):
            other.bind(("127.0.0.1", port))
    finally:
        held.close()
    again = reserve(port)  # released: the gateway (or a restart) can take it at once
    assert again is not None
    again.close()

"""The README's run command: it serves the whole marketplace on one origin, stops every
child on SIGTERM, starts again at once on the same port, and keeps the data."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.support.api import PASSWORD, ticket_body
from tests.support.devstack_process import run_command_stack
from tools.devstack.processes import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_a_restart_on_the_same_port_keeps_users_and_listings(tmp_path: Path) -> None:
    port, data = free_port(), tmp_path / "data"
    email = "restart@example.com"

    started = time.monotonic()
    with run_command_stack(port, data, memory=False) as (base_url, process):
        page = httpx.get(base_url + "/", timeout=30)
        print(f"first start: page served after {time.monotonic() - started:.0f}s")
        assert page.status_code == 200
        assert "<html" in page.text.lower()
        with httpx.Client(base_url=base_url, timeout=30) as http:
            assert http.post("/api/users/signup", json={"email": email, "password": PASSWORD})
            listed = http.post("/api/tickets", json=ticket_body(6_100, title="Kept"))
            assert listed.status_code == 201, listed.text
            ticket_id = listed.json()["id"]
    assert process.returncode == 0  # stopped in order by SIGTERM, not killed

    started = time.monotonic()
    with run_command_stack(port, data, memory=False) as (base_url, _):
        print(f"second start: ready after {time.monotonic() - started:.0f}s")
        assert httpx.get(base_url + "/", timeout=30).status_code == 200
        with httpx.Client(base_url=base_url, timeout=30) as http:
            signin = http.post("/api/users/signin", json={"email": email, "password": PASSWORD})
            assert signin.status_code == 200, signin.text
            kept = http.get(f"/api/tickets/{ticket_id}")
            assert kept.status_code == 200, kept.text
            assert kept.json()["title"] == "Kept"
            assert kept.json()["breakdown"]["listPrice"]["amount"] == 6_100

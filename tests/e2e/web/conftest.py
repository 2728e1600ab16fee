"""One marketplace, started with the README's run command (web app included), shared by
every browser test of this folder (one web build per run); locks last
``LOCK_TTL_SECONDS`` (short, for expiry)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.support.browser import Shots, launch
from tests.support.devstack_process import run_command_stack
from tools.devstack.processes import free_port

LOCK_TTL_SECONDS = 30  # long enough to pay on a loaded machine, short enough to wait out


@pytest.fixture(scope="session")
def web_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("web-stack")
    env = {"LOCK_TTL_SECONDS": str(LOCK_TTL_SECONDS)}
    # Every browser of every module here is one visitor address (127.0.0.1): the
    # per-address quotas are tested on their own (tests/integration/auth/).
    env |= dict.fromkeys(
        ("SIGNIN_ADDRESS_LIMIT", "SIGNUP_ADDRESS_LIMIT", "TOKEN_ADDRESS_LIMIT"), "1000"
    )
    with run_command_stack(free_port(), data, env, memory=True) as (base_url, _):
        yield base_url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    return Shots(Path(request.node.name).name)

"""A subscription binds a fact type to a handler of that type: mypy refuses any other."""

from __future__ import annotations

from pathlib import Path

import pytest
from mypy import api

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]

PROGRAM = """
from backend.common.bus import Subscriptions, subscribe
from backend.common.facts import (
    OrderCreated, TicketCreated, TicketUpdated, UserCreated, UserUpdated,
)


async def on_ticket(fact: TicketCreated) -> None: ...
async def on_user(fact: UserCreated) -> None: ...


def subscriptions() -> Subscriptions:
    return [
        subscribe(TicketUpdated, on_ticket),  # a subclass of what the handler takes: fine
        subscribe(UserUpdated, on_user),
        {wrong}
    ]
"""


def check(tmp_path: Path, wrong: str) -> tuple[str, int]:
    module = tmp_path / "registry.py"
    module.write_text(PROGRAM.format(wrong=wrong))
    out, err, status = api.run(
        ["--strict", "--config-file", str(ROOT / "pyproject.toml"), str(module)]
    )
    return out + err, status


def test_a_handler_bound_to_its_own_fact_type_checks(tmp_path: Path) -> None:
    out, status = check(tmp_path, "subscribe(TicketCreated, on_ticket),")
    assert status == 0, out


def test_a_handler_bound_to_another_fact_type_fails_the_type_check(tmp_path: Path) -> None:
    out, status = check(tmp_path, "subscribe(OrderCreated, on_ticket),")
    assert status == 1
    assert 'Argument 2 to "subscribe" has incompatible type' in out

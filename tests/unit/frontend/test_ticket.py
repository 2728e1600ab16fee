"""The id in a page's path (``/tickets/<id>``, ``/checkout/<id>``)."""

from __future__ import annotations

import pytest

from ticketing_ui.state.ticket import path_id

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("path", "prefix", "expected"),
    [
        ("/tickets/abc123", "/tickets/", "abc123"),
        ("/tickets/abc123/", "/tickets/", "abc123"),
        ("/tickets/abc123/extra", "/tickets/", "abc123"),
        ("/checkout/order-9", "/checkout/", "order-9"),
        ("/tickets/", "/tickets/", ""),
    ],
)
def test_path_id(path: str, prefix: str, expected: str) -> None:
    assert path_id(path, prefix) == expected

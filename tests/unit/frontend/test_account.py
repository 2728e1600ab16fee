"""Where sign-in sends the user next: only somewhere on this site."""

from __future__ import annotations

import pytest

from ticketing_ui.state.account import safe_next

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "target", ["/orders", "/tickets/abc?tab=price", "/sell#form", "/", "/a//b"]
)
def test_safe_next_keeps_a_path_on_this_site(target: str) -> None:
    assert safe_next(target) == target


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "//evil.com",
        "//evil.com/orders",
        "https://evil.com",
        "http://evil.com/orders",
        "javascript:alert(1)",
        "orders",
        "/\\evil.com",  # browsers read the backslash as a slash: //evil.com
        "\\/evil.com",
        "/\t/evil.com",  # browsers drop tabs and newlines: //evil.com
        "/\n/evil.com",
        "/\r/evil.com",
    ],
)
def test_safe_next_sends_anything_else_home(target: str | None) -> None:
    assert safe_next(target) == "/"

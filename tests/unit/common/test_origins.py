"""Origins compared canonically: what a browser sends against PUBLIC_URL's."""

from __future__ import annotations

import pytest

from backend.common.origins import allowed_origins, origin_of

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("http://localhost:8000", "http://localhost:8000"),
        ("https://Ticketing.Example:443/market?q=1", "https://ticketing.example"),
        ("http://ticketing.local:80/", "http://ticketing.local"),
        ("http://[::1]:8000", "http://[::1]:8000"),
        ("null", None),
        ("", None),
        ("file:///etc/passwd", None),
        ("http://host:99999", None),
    ],
)
def test_origin_of(url: str, origin: str | None) -> None:
    assert origin_of(url) == origin


def test_allowed_origins_are_the_public_one_and_the_configured_ones() -> None:
    allowed = allowed_origins("http://ticketing.local/", ["https://Bots.Example", "junk"])
    assert allowed == {"http://ticketing.local", "https://bots.example"}
    assert "http://ticketing.local:8080" not in allowed

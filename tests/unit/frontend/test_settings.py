"""The web app's settings: API routes from ``API_ROUTES``, the upstream for a path, cookies."""

from __future__ import annotations

import pytest
from ticketing_ui.settings import UiSettings, parse_routes, ui_settings

pytestmark = pytest.mark.unit


def settings(routes: str = "", public_url: str = "http://localhost:8000") -> UiSettings:
    return UiSettings(
        api_url="http://gateway", api_routes=parse_routes(routes), public_url=public_url
    )


def test_parse_routes_reads_prefix_url_pairs_longest_prefix_first() -> None:
    routes = parse_routes(" /api=http://api:8000 , /api/users/=http://auth:8000/,,")
    assert routes == (("/api/users", "http://auth:8000"), ("/api", "http://api:8000"))


def test_parse_routes_of_empty_text_is_empty() -> None:
    assert parse_routes("") == ()
    assert parse_routes(" , ") == ()


@pytest.mark.parametrize(
    "text",
    [
        "/api/users",  # no "="
        "api/users=http://auth:8000",  # prefix without a leading slash
        "/api/users=auth:8000",  # no scheme
        "/api/users=ftp://auth:8000",  # not HTTP
        "/api/users=http://auth:8000,/api/tickets",  # one bad item among good ones
    ],
)
def test_parse_routes_refuses_malformed_items(text: str) -> None:
    with pytest.raises(ValueError, match="API_ROUTES"):
        parse_routes(text)


def test_base_for_picks_the_longest_matching_prefix() -> None:
    ui = settings("/api=http://api,/api/users=http://auth,/api/users/admin=http://admin")
    assert ui.base_for("/api/users/admin/x") == "http://admin"
    assert ui.base_for("/api/users/signin") == "http://auth"
    assert ui.base_for("/api/users") == "http://auth"
    assert ui.base_for("/api/tickets") == "http://api"


def test_base_for_matches_whole_path_segments_only() -> None:
    ui = settings("/api/user=http://auth")
    assert ui.base_for("/api/users/signin") == "http://gateway"
    assert ui.base_for("/api/user/x") == "http://auth"


def test_base_for_without_routes_is_the_api_url() -> None:
    assert settings().base_for("/api/live") == "http://gateway"


def test_cookies_are_secure_only_for_an_https_public_url() -> None:
    assert settings(public_url="https://tickets.example.com").secure_cookies
    assert not settings(public_url="http://localhost:8000").secure_cookies


def test_ui_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLIC_URL", "https://tickets.example.com/")
    monkeypatch.delenv("API_URL", raising=False)
    monkeypatch.setenv("API_ROUTES", "/api/live=http://live:8000")
    ui_settings.cache_clear()
    try:
        ui = ui_settings()
        assert ui.public_url == "https://tickets.example.com"
        assert ui.api_url == "https://tickets.example.com"  # API_URL defaults to the origin
        assert ui.base_for("/api/live") == "http://live:8000"
        assert ui.secure_cookies
    finally:
        ui_settings.cache_clear()

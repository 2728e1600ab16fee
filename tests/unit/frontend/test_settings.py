"""The web app's settings: API routes from the Ingress (``API_INGRESS``), the upstream for a
path, cookies."""

from __future__ import annotations

from pathlib import Path

import pytest

from ticketing_ui.ingress import Route
from ticketing_ui.settings import UiSettings, api_routes, ui_settings

pytestmark = pytest.mark.unit

INGRESS = Path(__file__).resolve().parents[3] / "deploy/k8s/ingress.yaml"


def settings(
    routes: tuple[Route, ...] = (), public_url: str = "http://localhost:8000"
) -> UiSettings:
    return UiSettings(api_url="http://gateway", api_routes=routes, public_url=public_url)


def test_api_routes_leave_out_the_catch_all_which_is_the_web_app() -> None:
    routes = (Route("/api/users", "auth", 8000), Route("", "frontend", 3000))
    assert api_routes(routes) == (Route("/api/users", "auth", 8000),)


def test_base_for_sends_a_path_to_its_service_by_name_and_port() -> None:
    ui = settings((Route("/api/users", "auth", 8000), Route("/api", "api", 9000)))
    assert ui.base_for("/api/users/signin") == "http://auth:8000"
    assert ui.base_for("/api/tickets") == "http://api:9000"


def test_base_for_without_routes_is_the_api_url() -> None:
    assert settings().base_for("/api/live") == "http://gateway"


def test_cookies_are_secure_only_for_an_https_public_url() -> None:
    assert settings(public_url="https://tickets.example.com").secure_cookies
    assert not settings(public_url="http://localhost:8000").secure_cookies


def test_ui_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLIC_URL", "https://tickets.example.com/")
    monkeypatch.delenv("API_URL", raising=False)
    monkeypatch.setenv("API_INGRESS", str(INGRESS))
    ui_settings.cache_clear()
    try:
        ui = ui_settings()
        assert ui.public_url == "https://tickets.example.com"
        assert ui.api_url == "https://tickets.example.com"  # API_URL defaults to the origin
        assert ui.base_for("/api/live") == "http://live:8000"
        assert ui.base_for("/api/users/signin") == "http://auth:8000"
        assert ui.base_for("/somewhere") == "https://tickets.example.com"
        assert ui.secure_cookies
    finally:
        ui_settings.cache_clear()

"""The route table read from the Ingress manifest, its only source."""

from __future__ import annotations

from pathlib import Path

import pytest

from ticketing_ui.ingress import Route, parse_ingress, read_ingress, route_for

pytestmark = pytest.mark.unit

INGRESS = Path(__file__).resolve().parents[3] / "deploy/k8s/ingress.yaml"


def ingress(*paths: tuple[str, str, dict[str, object]]) -> str:
    items = "".join(
        f"""
          - path: {path}
            pathType: Prefix
            backend:
              service:
                name: {service}
                port: {port}"""
        for path, service, port in paths
    )
    return f"""
kind: ConfigMap
data: {{}}
---
kind: Ingress
spec:
  rules:
    - http:
        paths:{items}
"""


def test_the_repository_ingress_routes_every_api_and_the_web_app() -> None:
    routes = {route.prefix: (route.service, route.port) for route in read_ingress(INGRESS)}
    assert routes == {
        "/api/users": ("auth", 8000),
        "/api/tickets": ("tickets", 8000),
        "/api/events": ("tickets", 8000),
        "/api/listings": ("tickets", 8000),
        "/api/checkins": ("tickets", 8000),
        "/api/transfers": ("tickets", 8000),
        "/api/orders": ("orders", 8000),
        "/api/payments": ("payments", 8000),
        "/api/live": ("live", 8000),
        "": ("frontend", 3000),
    }


def test_routes_come_longest_prefix_first_and_other_kinds_are_skipped() -> None:
    routes = parse_ingress(
        ingress(
            ("/", "web", {"number": 3000}),
            ("/api/users/", "auth", {"number": 8000}),
            ("/api/users/admin", "admin", {"number": 8001}),
        )
    )
    assert [route.prefix for route in routes] == ["/api/users/admin", "/api/users", ""]


def test_route_for_matches_whole_segments_like_ingress_nginx() -> None:
    routes = parse_ingress(
        ingress(("/api/user", "auth", {"number": 8000}), ("/", "web", {"number": 3000}))
    )
    assert route_for("/api/user/x", routes) == Route("/api/user", "auth", 8000)
    assert route_for("/api/user", routes) == Route("/api/user", "auth", 8000)
    assert route_for("/api/users/signin", routes) == Route("", "web", 3000)


def test_route_for_without_a_catch_all_finds_nothing() -> None:
    assert route_for("/x", parse_ingress(ingress(("/api", "api", {"number": 1})))) is None


def test_a_named_service_port_is_refused_since_the_web_app_needs_the_number() -> None:
    with pytest.raises(TypeError, match="as a number"):
        parse_ingress(ingress(("/api", "api", {"name": "http"})))

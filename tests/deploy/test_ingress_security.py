"""The ingress sends the security headers the local gateway sends, and routes no
service's operational paths (``/metrics``, ``/readyz``…) to the public."""

from __future__ import annotations

import re
from typing import Any

import yaml

from ticketing_ui.ingress import read_ingress
from tools.devstack.gateway import (
    CUSTOM_HEADERS,
    INGRESS,
    INTERNAL_PATHS,
    dev_stripe_sources,
    security_headers,
)
from tools.devstack.stack import SERVICES

REQUIRED = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def documents() -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(INGRESS.read_text()) if isinstance(doc, dict)]


def directives(policy: str) -> dict[str, list[str]]:
    parts = (part.split() for part in policy.split(";") if part.strip())
    return {name: values for name, *values in parts}


def test_every_ingress_sends_the_security_headers_configmap() -> None:
    ingresses = [doc for doc in documents() if doc["kind"] == "Ingress"]
    [config_map] = [doc for doc in documents() if doc["kind"] == "ConfigMap"]
    name = config_map["metadata"]["name"]
    assert len(ingresses) == 2
    for ingress in ingresses:
        # ingress-nginx names the ConfigMap as namespace/name (the manifests' namespace).
        assert ingress["metadata"]["annotations"][CUSTOM_HEADERS] == f"default/{name}"
        assert not any("snippet" in key for key in ingress["metadata"]["annotations"])
    data = config_map["data"]
    for header, value in REQUIRED.items():
        assert data[header] == value
    policy = directives(data["Content-Security-Policy"])
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert "https://js.stripe.com" in policy["script-src"]
    assert "Strict-Transport-Security" not in data  # ingress-nginx's own, on https only


def test_the_gateway_sends_the_ingress_headers() -> None:
    """The same set, defined once: the gateway reads the ConfigMap; on real Stripe it adds
    nothing, with localstripe only that origin where Stripe.js needs it."""
    [config_map] = [doc for doc in documents() if doc["kind"] == "ConfigMap"]
    ingress_headers = {str(k): str(v) for k, v in config_map["data"].items()}
    real_stripe = dev_stripe_sources({"STRIPE_API_BASE": ""})
    assert security_headers(INGRESS.read_text(), stripe_sources=real_stripe) == ingress_headers
    local = security_headers(
        INGRESS.read_text(),
        stripe_sources=dev_stripe_sources({"STRIPE_API_BASE": "http://127.0.0.1:8420/"}),
    )
    assert local.keys() == ingress_headers.keys()
    assert {k: v for k, v in local.items() if k != "Content-Security-Policy"} == {
        k: v for k, v in ingress_headers.items() if k != "Content-Security-Policy"
    }
    ours = directives(local["Content-Security-Policy"])
    theirs = directives(ingress_headers["Content-Security-Policy"])
    assert ours.keys() == theirs.keys()
    stripe_needs = ("script-src", "connect-src", "frame-src")
    for name, values in ours.items():
        added = [v for v in values if v not in theirs[name]]
        assert added == (["http://127.0.0.1:8420"] if name in stripe_needs else []), name


def test_no_service_prefix_reaches_an_operational_route() -> None:
    """Each service mounts /metrics, /readyz, /healthz, /openapi.json at its root; the
    ingress forwards only paths under its prefix, which none of those is."""
    backends = {spec.name for spec in SERVICES}
    routes = read_ingress(INGRESS)
    for route in routes:
        if route.service in backends:
            assert route.prefix.startswith("/api/"), route
            assert not any(route.matches(path) for path in INTERNAL_PATHS), route
    # What is left of them goes to the web app, which serves none of them (and the local
    # gateway answers them 404 itself).
    assert {route.service for route in routes if route.prefix == ""} == {"frontend"}


def test_the_deploy_guide_allows_exactly_the_headers_sent() -> None:
    """ingress-nginx answers 503 on an Ingress whose custom headers it does not allow."""
    guide = (INGRESS.parents[1] / "README.md").read_text()
    [allowed] = re.findall(r'"global-allowed-response-headers":"([^"]+)"', guide)
    [config_map] = [doc for doc in documents() if doc["kind"] == "ConfigMap"]
    assert sorted(allowed.split(",")) == sorted(config_map["data"])

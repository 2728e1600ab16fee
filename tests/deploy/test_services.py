from __future__ import annotations

from pathlib import Path

import pytest

from tests.deploy.tree import Doc, container, edit_doc, edit_yaml, messages

pytestmark = pytest.mark.unit


def test_ingress_prefix_routed_to_the_wrong_service_is_reported(tree: Path) -> None:
    def orders_to_tickets(docs: list[Doc]) -> None:
        docs[0]["spec"]["rules"][0]["http"]["paths"][2]["backend"]["service"]["name"] = "tickets"

    edit_yaml(tree / "deploy/k8s/ingress.yaml", orders_to_tickets)

    assert "services: Ingress: /api/orders goes to 'tickets', not 'orders'" in (
        messages(tree, "services")
    )


def test_deployment_running_another_factory_is_reported(tree: Path) -> None:
    def run_tickets(deployment: Doc) -> None:
        container(deployment)["args"] = ["backend.tickets.app:create_app"]

    edit_doc(tree / "deploy/k8s/orders.yaml", "Deployment", run_tickets)

    assert "no Deployment orders runs backend.orders.app:create_app" in (messages(tree, "services"))


def test_api_routes_missing_a_prefix_is_reported(tree: Path) -> None:
    def drop_live(deployment: Doc) -> None:
        env = container(deployment)["env"][0]
        env["value"] = env["value"].replace(",/api/live=http://live:8000", "")

    edit_doc(tree / "deploy/k8s/frontend.yaml", "Deployment", drop_live)

    assert "API_ROUTES: /api/live must go to http://live:" in messages(tree, "services")


def test_api_routes_to_a_missing_port_is_reported(tree: Path) -> None:
    def wrong_port(deployment: Doc) -> None:
        env = container(deployment)["env"][0]
        env["value"] = env["value"].replace("http://auth:8000", "http://auth:80")

    edit_doc(tree / "deploy/k8s/frontend.yaml", "Deployment", wrong_port)

    assert "/api/users must go to http://auth:<a port of Service auth>, not " in (
        messages(tree, "services")
    )

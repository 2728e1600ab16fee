from __future__ import annotations

from pathlib import Path

import pytest

from tests.deploy.tree import Doc, container, edit_doc, messages

pytestmark = pytest.mark.unit


def test_deployment_running_another_factory_is_reported(tree: Path) -> None:
    def run_tickets(deployment: Doc) -> None:
        container(deployment)["args"] = ["backend.tickets.app:create_app"]

    edit_doc(tree / "deploy/k8s/orders.yaml", "Deployment", run_tickets)

    assert "no Deployment orders runs backend.orders.app:create_app" in (messages(tree, "services"))

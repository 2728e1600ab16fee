from __future__ import annotations

from pathlib import Path

import pytest

from tests.deploy.tree import Doc, container, edit_doc, messages
from tools.deploycheck.entrypoints import factory_error

pytestmark = pytest.mark.unit


def test_every_service_factory_is_importable_and_callable() -> None:
    assert factory_error("backend.auth.app:create_app") is None


def test_unknown_module_is_reported(tree: Path) -> None:
    def run_missing_service(deployment: Doc) -> None:
        container(deployment)["args"] = ["backend.nothing.app:create_app"]

    edit_doc(tree / "deploy/k8s/payments.yaml", "Deployment", run_missing_service)

    assert (
        "Deployment/payments container payments: backend.nothing.app:create_app: "
        "cannot import backend.nothing.app"
    ) in messages(tree, "entrypoints")


def test_missing_factory_is_reported(tree: Path) -> None:
    def misname_factory(deployment: Doc) -> None:
        container(deployment)["args"] = ["backend.live.app:make_app"]

    edit_doc(tree / "deploy/k8s/live.yaml", "Deployment", misname_factory)

    assert "backend.live.app:make_app: backend.live.app has no make_app" in (
        messages(tree, "entrypoints")
    )


def test_attribute_that_is_not_callable_is_reported() -> None:
    assert factory_error("backend.auth.app:SERVICE") == "SERVICE is not callable"

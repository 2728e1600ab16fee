from __future__ import annotations

from pathlib import Path

import pytest

from tests.deploy.tree import Doc, edit_doc, messages

pytestmark = pytest.mark.unit


def test_unknown_kind_is_an_error(tree: Path) -> None:
    (tree / "deploy/k8s/extra.yaml").write_text(
        "apiVersion: v1\nkind: Gadget\nmetadata:\n  name: gizmo\n", encoding="utf-8"
    )

    assert "deploy/k8s/extra.yaml: Gadget/gizmo: Couldn't find schema for kind Gadget" in (
        messages(tree, "schema")
    )


def test_unknown_field_is_an_error_in_strict_mode(tree: Path) -> None:
    def misspell_replicas(deployment: Doc) -> None:
        deployment["spec"]["replica"] = 2

    edit_doc(tree / "deploy/k8s/orders.yaml", "Deployment", misspell_replicas)

    found = messages(tree, "schema")
    assert "deploy/k8s/orders.yaml: Deployment/orders" in found
    assert "'replica'" in found


def test_wrong_type_is_an_error(tree: Path) -> None:
    def port_as_text(service: Doc) -> None:
        service["spec"]["ports"][0]["port"] = "eight thousand"

    edit_doc(tree / "deploy/k8s/live.yaml", "Service", port_as_text)

    assert "Service/live: spec.ports.0.port" in messages(tree, "schema")


def test_unparsable_yaml_is_an_error(tree: Path) -> None:
    (tree / "deploy/k8s/broken.yaml").write_text("kind: [unclosed\n", encoding="utf-8")

    assert "deploy/k8s/broken.yaml: cannot read" in messages(tree, "schema")

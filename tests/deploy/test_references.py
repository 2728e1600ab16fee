from __future__ import annotations

from pathlib import Path

import pytest

from tests.deploy.tree import Doc, container, edit_doc, edit_yaml, messages

pytestmark = pytest.mark.unit

K8S = Path("deploy/k8s")


def test_service_selector_matching_no_pod_is_reported(tree: Path) -> None:
    def select_nobody(service: Doc) -> None:
        service["spec"]["selector"] = {"app.kubernetes.io/name": "ticket"}

    edit_doc(tree / K8S / "tickets.yaml", "Service", select_nobody)

    assert "Service/tickets: selector {'app.kubernetes.io/name': 'ticket'} matches no pod" in (
        messages(tree, "references")
    )


def test_service_target_port_name_missing_from_pods_is_reported(tree: Path) -> None:
    def target_web(service: Doc) -> None:
        service["spec"]["ports"][0]["targetPort"] = "web"

    edit_doc(tree / K8S / "payments.yaml", "Service", target_web)

    assert "Service/payments: targetPort 'web' is no container port" in (
        messages(tree, "references")
    )


def test_workload_selector_missing_its_pod_labels_is_reported(tree: Path) -> None:
    def relabel_pods(deployment: Doc) -> None:
        deployment["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"] = "x"

    edit_doc(tree / K8S / "auth.yaml", "Deployment", relabel_pods)

    assert "Deployment/auth: selector" in messages(tree, "references")


def test_ingress_backend_to_missing_service_is_reported(tree: Path) -> None:
    def route_to_ghost(docs: list[Doc]) -> None:
        docs[0]["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] = "ghost"

    edit_yaml(tree / K8S / "ingress.yaml", route_to_ghost)

    assert "Ingress/ticketing-api: backend Service 'ghost' missing" in (
        messages(tree, "references")
    )


def test_ingress_backend_to_missing_port_is_reported(tree: Path) -> None:

    def wrong_port(docs: list[Doc]) -> None:
        path = docs[1]["spec"]["rules"][0]["http"]["paths"][0]
        path["backend"]["service"]["port"] = {"number": 8080}

    edit_yaml(tree / K8S / "ingress.yaml", wrong_port)

    assert "Ingress/ticketing-streams: Service 'live' has no port {'number': 8080}" in (
        messages(tree, "references")
    )


def test_secret_key_not_created_by_the_operator_is_reported(tree: Path) -> None:
    def misname_key(deployment: Doc) -> None:
        env = container(deployment)["env"]
        env[1]["valueFrom"]["secretKeyRef"]["key"] = "STRIPE_KEY"

    edit_doc(tree / K8S / "payments.yaml", "Deployment", misname_key)

    assert "Deployment/payments container payments: Secret 'stripe-secret' has no key " in (
        messages(tree, "references")
    )


def test_undocumented_secret_is_reported(tree: Path) -> None:
    def use_other_secret(deployment: Doc) -> None:
        container(deployment)["envFrom"].append({"secretRef": {"name": "db-secret"}})

    edit_doc(tree / K8S / "orders.yaml", "Deployment", use_other_secret)

    assert "Secret 'db-secret' is neither defined here nor created by the operator" in (
        messages(tree, "references")
    )


def test_config_map_key_missing_is_reported(tree: Path) -> None:
    def drop_public_url(config: Doc) -> None:
        del config["data"]["PUBLIC_URL"]

    edit_doc(tree / K8S / "config.yaml", "ConfigMap", drop_public_url)

    found = messages(tree, "references")
    assert "Deployment/frontend container frontend: ConfigMap 'ticketing-config' has no key " in (
        found
    )
    assert "'PUBLIC_URL'" in found


def test_config_map_volume_missing_is_reported(tree: Path) -> None:
    def rename_scripts(docs: list[Doc]) -> None:
        docs[0]["metadata"]["name"] = "mongo-init"

    edit_yaml(tree / K8S / "mongo.yaml", rename_scripts)

    assert "StatefulSet/mongo volume scripts: ConfigMap 'mongo-scripts' is neither" in (
        messages(tree, "references")
    )


def test_committed_secret_values_are_reported(tree: Path) -> None:
    (tree / K8S / "secret.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: jwt-secret\n"
        "stringData:\n  JWT_KEY: oops\n",
        encoding="utf-8",
    )

    assert "Secret/jwt-secret: has values committed" in messages(tree, "references")


def test_operator_docs_missing_a_secret_key_are_reported(tree: Path) -> None:
    readme = tree / "deploy/README.md"
    readme.write_text(readme.read_text(encoding="utf-8").replace("STRIPE_PUBLISHABLE_KEY", "?"))

    assert "deploy/README.md: does not tell the operator to create 'STRIPE_PUBLISHABLE_KEY'" in (
        messages(tree, "references")
    )

from __future__ import annotations

from pathlib import Path

import pytest

from tests.deploy.tree import Doc, container, edit_doc, messages
from tools.deploycheck.contract import DEFAULTS_FINE_IN_PRODUCTION, settings_variables
from tools.deploycheck.environment import required_variables
from tools.devstack.stack import SERVICES

pytestmark = pytest.mark.unit


def test_required_variables_are_the_settings_without_a_production_default() -> None:
    required = {name for names in required_variables().values() for name in names}

    assert {"APP_ENV", "MONGO_URL", "REDIS_URL", "JWT_KEY", "STRIPE_SECRET_KEY"} <= required
    assert not required & DEFAULTS_FINE_IN_PRODUCTION
    assert len(settings_variables()) == len(required_variables()) + len(DEFAULTS_FINE_IN_PRODUCTION)


def test_variable_missing_from_the_config_map_is_reported_for_every_backend(tree: Path) -> None:
    def drop_lock_ttl(config: Doc) -> None:
        del config["data"]["LOCK_TTL_SECONDS"]

    edit_doc(tree / "deploy/k8s/config.yaml", "ConfigMap", drop_lock_ttl)

    found = messages(tree, "environment").splitlines()
    assert len(found) == len(SERVICES)
    assert all(line.endswith("LOCK_TTL_SECONDS is not set") for line in found)


def test_secret_variable_missing_from_one_deployment_is_reported(tree: Path) -> None:
    def drop_jwt_key(deployment: Doc) -> None:
        env = container(deployment)["env"]
        container(deployment)["env"] = [each for each in env if each["name"] != "JWT_KEY"]

    edit_doc(tree / "deploy/k8s/orders.yaml", "Deployment", drop_jwt_key)

    assert messages(tree, "environment") == (
        "environment: deploy/k8s/orders.yaml: Deployment/orders container orders: "
        "JWT_KEY is not set"
    )


def test_variable_from_an_env_from_secret_counts_as_set(tree: Path) -> None:
    def env_from_secret(deployment: Doc) -> None:
        env = container(deployment)["env"]
        container(deployment)["env"] = [each for each in env if each["name"] != "JWT_KEY"]
        container(deployment)["envFrom"].append({"secretRef": {"name": "jwt-secret"}})

    edit_doc(tree / "deploy/k8s/auth.yaml", "Deployment", env_from_secret)

    assert messages(tree, "environment") == ""


def test_the_stripe_secret_given_to_another_service_is_reported(tree: Path) -> None:
    def give_stripe_secret(deployment: Doc) -> None:
        ref = {"secretKeyRef": {"name": "stripe-secret", "key": "STRIPE_SECRET_KEY"}}
        container(deployment)["env"].append({"name": "STRIPE_SECRET_KEY", "valueFrom": ref})

    edit_doc(tree / "deploy/k8s/tickets.yaml", "Deployment", give_stripe_secret)

    assert messages(tree, "environment") == (
        "environment: deploy/k8s/tickets.yaml: Deployment/tickets container tickets: "
        "STRIPE_SECRET_KEY is given, but only payments may have it"
    )


def test_the_stripe_secret_missing_from_payments_is_reported(tree: Path) -> None:
    def drop_stripe_secret(deployment: Doc) -> None:
        env = container(deployment)["env"]
        container(deployment)["env"] = [e for e in env if e["name"] != "STRIPE_SECRET_KEY"]

    edit_doc(tree / "deploy/k8s/payments.yaml", "Deployment", drop_stripe_secret)

    assert messages(tree, "environment") == (
        "environment: deploy/k8s/payments.yaml: Deployment/payments container payments: "
        "STRIPE_SECRET_KEY is not set"
    )

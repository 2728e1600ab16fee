from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.tree import Doc, container, edit_doc, messages

pytestmark = pytest.mark.unit


def edit_skaffold(root: Path, change: Callable[[dict[str, Any]], None]) -> None:
    path = root / "skaffold.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(config)
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


def test_raw_yaml_glob_matching_nothing_is_reported(tree: Path) -> None:
    edit_skaffold(tree, lambda config: config["manifests"]["rawYaml"].append("deploy/kube/*.yaml"))

    assert "skaffold.yaml: rawYaml glob 'deploy/kube/*.yaml' matches no file" in (
        messages(tree, "skaffold")
    )


def test_missing_dockerfile_of_an_artifact_is_reported(tree: Path) -> None:
    (tree / "deploy/docker/frontend.Dockerfile").unlink()

    assert (
        "skaffold.yaml: artifact ticketing-frontend: Dockerfile "
        "deploy/docker/frontend.Dockerfile does not exist"
    ) in messages(tree, "skaffold")


def test_missing_context_of_an_artifact_is_reported(tree: Path) -> None:
    def move_context(config: dict[str, Any]) -> None:
        config["build"]["artifacts"][1]["context"] = "web"

    edit_skaffold(tree, move_context)

    assert "artifact ticketing-frontend: context 'web' does not exist" in (
        messages(tree, "skaffold")
    )


def test_artifact_no_manifest_runs_is_reported(tree: Path) -> None:
    def rename_image(config: dict[str, Any]) -> None:
        config["build"]["artifacts"][0]["image"] = "ticketing-api"

    edit_skaffold(tree, rename_image)

    assert "artifact ticketing-api: no manifest runs this image" in messages(tree, "skaffold")


def test_build_target_missing_from_dockerfile_is_reported(tree: Path) -> None:
    dockerfile = tree / "deploy/docker/backend.Dockerfile"
    dockerfile.write_text(dockerfile.read_text(encoding="utf-8").replace(" AS dev", " AS devel"))

    assert "profile dev: artifact ticketing-backend: no build stage named 'dev'" in (
        messages(tree, "skaffold")
    )


def test_profile_patch_to_missing_path_is_reported(tree: Path) -> None:
    def patch_third_artifact(config: dict[str, Any]) -> None:
        config["profiles"][0]["patches"][0]["path"] = "/build/artifacts/2/docker/target"

    edit_skaffold(tree, patch_third_artifact)

    assert "profile dev: patch" in messages(tree, "skaffold")


def test_sync_glob_matching_nothing_is_reported(tree: Path) -> None:
    def sync_typescript(config: dict[str, Any]) -> None:
        config["profiles"][0]["patches"][1]["value"]["manual"][0]["src"] = "src/**/*.ts"

    edit_skaffold(tree, sync_typescript)

    assert "sync src 'src/**/*.ts' matches no file" in messages(tree, "skaffold")


def test_manifest_no_glob_deploys_is_reported(tree: Path) -> None:
    (tree / "deploy/k8s/extra").mkdir()
    (tree / "deploy/k8s/extra/more.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: more\n", encoding="utf-8"
    )

    assert "deploy/k8s/extra/more.yaml: no rawYaml glob in skaffold.yaml deploys" in (
        messages(tree, "skaffold")
    )


def test_port_forward_to_missing_service_port_is_reported(tree: Path) -> None:
    def forward_redis_elsewhere(config: dict[str, Any]) -> None:
        config["portForward"][2]["port"] = 6380

    edit_skaffold(tree, forward_redis_elsewhere)

    assert "portForward: no Service 'redis' with port 6380" in messages(tree, "skaffold")


def test_unpinned_third_party_image_is_reported(tree: Path) -> None:
    def unpin(deployment: Doc) -> None:
        container(deployment)["image"] = "redis"

    edit_doc(tree / "deploy/k8s/redis.yaml", "Deployment", unpin)

    assert "Deployment/redis: image 'redis' is not pinned to a version" in (
        messages(tree, "skaffold")
    )


def test_old_schema_is_reported(tree: Path) -> None:
    edit_skaffold(tree, lambda config: config.update(apiVersion="skaffold/v2beta29"))

    assert "not a skaffold/v4beta* Config" in messages(tree, "skaffold")

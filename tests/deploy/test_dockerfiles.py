from __future__ import annotations

from pathlib import Path

import pytest

from tests.deploy.tree import messages

pytestmark = pytest.mark.unit


def test_hadolint_findings_are_reported_with_file_and_line(tree: Path) -> None:
    dockerfile = tree / "deploy/docker/backend.Dockerfile"
    lines = dockerfile.read_text(encoding="utf-8").count("\n")
    with dockerfile.open("a", encoding="utf-8") as file:
        file.write("RUN apt-get update && apt-get install -y curl\n")

    found = messages(tree, "hadolint")

    assert f"deploy/docker/backend.Dockerfile:{lines + 1}: DL3008" in found  # unpinned apt
    assert "frontend.Dockerfile" not in found


def test_unpinned_base_image_is_reported(tree: Path) -> None:
    dockerfile = tree / "deploy/docker/frontend.Dockerfile"
    text = dockerfile.read_text(encoding="utf-8")
    dockerfile.write_text(text.replace("FROM python:3.13.9-slim-bookworm", "FROM python"))

    assert "frontend.Dockerfile:8: DL3006" in messages(tree, "hadolint")


def test_missing_dockerfiles_are_reported(tree: Path) -> None:
    for dockerfile in (tree / "deploy/docker").glob("*.Dockerfile"):
        dockerfile.unlink()

    assert "no Dockerfile found" in messages(tree, "hadolint")

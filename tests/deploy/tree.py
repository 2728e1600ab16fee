"""A copy of the repository's deployment files to break, and helpers that break it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from tools.deploycheck.checks import CHECKS
from tools.deploycheck.project import Problem, load_project

REPOSITORY = Path(__file__).resolve().parents[2]
# What the checks read: the deploy tree, Skaffold's config, and the build context it syncs.
COPIED = ("deploy", "skaffold.yaml", ".dockerignore", "backend", "pyproject.toml", "uv.lock")

Doc = dict[str, Any]


def copy_deploy_tree(destination: Path) -> Path:
    for name in COPIED:
        source = REPOSITORY / name
        if source.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "postman")
            shutil.copytree(source, destination / name, ignore=ignore)
        else:
            shutil.copy2(source, destination / name)
    return destination


def problems(root: Path, check: str) -> list[Problem]:
    assert check in CHECKS
    return CHECKS[check](load_project(root))


def messages(root: Path, check: str) -> str:
    """Every problem of one check, one per line (what the CLI prints)."""
    return "\n".join(str(problem) for problem in problems(root, check))


def edit_yaml(path: Path, change: Callable[[list[Doc]], None]) -> None:
    docs = [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]
    change(docs)
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False), encoding="utf-8")


def edit_doc(path: Path, kind: str, change: Callable[[Doc], None]) -> None:
    """Change the one document of ``kind`` in a manifest file."""

    def change_docs(docs: list[Doc]) -> None:
        (doc,) = [doc for doc in docs if doc["kind"] == kind]
        change(doc)

    edit_yaml(path, change_docs)


def container(deployment: Doc) -> Doc:
    containers: list[Doc] = deployment["spec"]["template"]["spec"]["containers"]
    return containers[0]

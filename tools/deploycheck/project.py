"""The deployment as data: skaffold.yaml (per profile), the manifests and the Dockerfiles."""

from __future__ import annotations

import copy
import glob
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tools.deploycheck.contract import DOCKERFILES_DIR, MANIFESTS_DIR, SKAFFOLD_FILE

# Profile fields that replace the base configuration's (Skaffold's merge rule for these).
PROFILE_SECTIONS = ("build", "manifests", "deploy", "portForward")


@dataclass(frozen=True, slots=True)
class Problem:
    check: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.check}: {self.where}: {self.message}"


@dataclass(frozen=True, slots=True)
class Manifest:
    path: str  # relative to the repository root
    index: int  # position of the document in its file
    doc: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.doc.get("kind", ""))

    @property
    def name(self) -> str:
        return str(mapping(self.doc.get("metadata")).get("name", ""))

    @property
    def where(self) -> str:
        return f"{self.path}: {self.kind}/{self.name}"


@dataclass(slots=True)
class Project:
    root: Path
    skaffold: dict[str, Any]
    # "skaffold.yaml" and "profile <name>" → that configuration with the profile applied.
    configs: dict[str, dict[str, Any]]
    manifests: list[Manifest]
    problems: list[Problem] = field(default_factory=list)  # found while loading

    def of_kind(self, kind: str) -> Iterator[Manifest]:
        return (manifest for manifest in self.manifests if manifest.kind == kind)

    def named(self, kind: str, name: str) -> Manifest | None:
        return next((each for each in self.of_kind(kind) if each.name == name), None)

    def dockerfiles(self) -> list[Path]:
        folder = self.root / DOCKERFILES_DIR
        return sorted(
            path
            for path in folder.glob("*")
            if path.is_file() and (path.suffix == ".Dockerfile" or path.name == "Dockerfile")
        )

    def glob(self, pattern: str, base: Path | None = None) -> list[Path]:
        """Files matching a Skaffold-style glob (``**`` crosses folders)."""
        folder = base or self.root
        return sorted(
            Path(hit)
            for hit in glob.glob(pattern, root_dir=folder, recursive=True)
            if (folder / hit).is_file()
        )


def mapping(value: object) -> dict[str, Any]:
    """``value`` if it is a YAML mapping, else an empty one (the schema check reports it)."""
    return value if isinstance(value, dict) else {}


def sequence(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def load_project(root: Path) -> Project:
    root = root.resolve()
    problems: list[Problem] = []
    skaffold = _load_skaffold(root, problems)
    configs = effective_configs(skaffold, problems)
    manifests = [
        manifest
        for path in manifest_files(root, configs)
        for manifest in _load_manifests(root, path, problems)
    ]
    return Project(root, skaffold, configs, manifests, problems)


def raw_yaml_globs(config: dict[str, Any]) -> list[str]:
    return [str(each) for each in sequence(mapping(config.get("manifests")).get("rawYaml"))]


def manifest_files(root: Path, configs: dict[str, dict[str, Any]]) -> list[str]:
    """Every YAML file under deploy/k8s plus whatever a rawYaml glob names elsewhere."""
    files = {
        str(path.relative_to(root))
        for pattern in ("*.yaml", "*.yml")
        for path in (root / MANIFESTS_DIR).rglob(pattern)
    }
    for config in configs.values():
        for pattern in raw_yaml_globs(config):
            files.update(
                hit for hit in glob.glob(pattern, root_dir=root, recursive=True)
                if (root / hit).is_file()
            )  # fmt: skip
    return sorted(files)


def effective_configs(
    skaffold: dict[str, Any], problems: list[Problem]
) -> dict[str, dict[str, Any]]:
    base = {key: value for key, value in skaffold.items() if key != "profiles"}
    configs = {SKAFFOLD_FILE: base}
    for entry in sequence(skaffold.get("profiles")):
        profile = mapping(entry)
        label = f"profile {profile.get('name', '?')}"
        config = copy.deepcopy(base)
        config.update({key: profile[key] for key in PROFILE_SECTIONS if key in profile})
        for patch in sequence(profile.get("patches")):
            try:
                apply_patch(config, mapping(patch))
            except (KeyError, IndexError, ValueError) as error:
                problems.append(Problem("skaffold", label, f"patch {patch}: {error}"))
        configs[label] = config
    return configs


def apply_patch(document: dict[str, Any], patch: dict[str, Any]) -> None:
    """Apply one JSON-patch operation (add, replace, remove) as Skaffold profiles do."""
    op, path = patch.get("op"), str(patch.get("path", ""))
    *parents, last = [_unescape(part) for part in path.split("/")[1:]] or [""]
    target: Any = document
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if isinstance(target, list):
        index = len(target) if last == "-" else int(last)
        if op == "add":
            target.insert(index, patch.get("value"))
        elif op == "replace":
            target[index] = patch.get("value")  # IndexError when missing
        elif op == "remove":
            del target[index]
        else:
            raise ValueError(f"unsupported op {op!r}")
    elif isinstance(target, dict):
        if op in {"replace", "remove"} and last not in target:
            raise KeyError(f"{path} does not exist")
        if op == "remove":
            del target[last]
        elif op in {"add", "replace"}:
            target[last] = patch.get("value")
        else:
            raise ValueError(f"unsupported op {op!r}")
    else:
        raise KeyError(f"{path}: parent is not an object or a list")


def _unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


def _load_skaffold(root: Path, problems: list[Problem]) -> dict[str, Any]:
    path = root / SKAFFOLD_FILE
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        problems.append(Problem("skaffold", SKAFFOLD_FILE, f"cannot read: {error}"))
        return {}
    if not isinstance(loaded, dict):
        problems.append(Problem("skaffold", SKAFFOLD_FILE, "is not a YAML mapping"))
        return {}
    return loaded


def _load_manifests(root: Path, path: str, problems: list[Problem]) -> list[Manifest]:
    try:
        docs = list(yaml.safe_load_all((root / path).read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError) as error:
        problems.append(Problem("schema", path, f"cannot read: {error}"))
        return []
    manifests = []
    for index, doc in enumerate(docs):
        if doc is None:
            continue
        if not isinstance(doc, dict):
            problems.append(Problem("schema", f"{path}[{index}]", "is not a YAML mapping"))
            continue
        manifests.append(Manifest(path, index, doc))
    return manifests

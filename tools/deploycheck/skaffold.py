"""Check (c), Skaffold side: artifacts are built from files that exist and are deployed;
globs match; port forwards name real Services; every manifest is deployed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tools.deploycheck.contract import MANIFESTS_DIR, SKAFFOLD_FILE
from tools.deploycheck.project import Problem, Project, mapping, raw_yaml_globs, sequence
from tools.deploycheck.workloads import pod_templates

CHECK = "skaffold"
SCHEMA = re.compile(r"^skaffold/v4beta\d+$")
STAGE = re.compile(r"^\s*FROM\s+\S+\s+AS\s+(\S+)", re.IGNORECASE | re.MULTILINE)


def check_skaffold(project: Project) -> list[Problem]:
    problems = [problem for problem in project.problems if problem.check == CHECK]
    version = project.skaffold.get("apiVersion")
    if not SCHEMA.match(str(version)) or project.skaffold.get("kind") != "Config":
        problems.append(Problem(CHECK, SKAFFOLD_FILE, f"not a skaffold/v4beta* Config: {version}"))
    images = _manifest_images(project)
    for label, config in project.configs.items():
        problems += _check_artifacts(project, label, config, images)
        problems += _check_globs(project, label, config)
        problems += _check_port_forwards(project, label, config)
    problems += _check_undeployed(project)
    problems += _check_pinned_images(project, images)
    return list(dict.fromkeys(problems))  # a profile repeats the base's findings


def artifacts(config: dict[str, Any]) -> list[dict[str, Any]]:
    return [mapping(each) for each in sequence(mapping(config.get("build")).get("artifacts"))]


def image_name(reference: str) -> str:
    """``repo/name:tag@digest`` → ``repo/name``."""
    without_digest = reference.split("@", 1)[0]
    head, _, tail = without_digest.rpartition(":")
    return head if head and "/" not in tail else without_digest


def _manifest_images(project: Project) -> dict[str, str]:
    """Image reference → where it is used."""
    return {
        str(container.get("image")): template.owner.where
        for template in pod_templates(project)
        for container in template.containers()
    }


def _check_artifacts(
    project: Project, label: str, config: dict[str, Any], images: dict[str, str]
) -> list[Problem]:
    problems = []
    used = {image_name(image) for image in images}
    for artifact in artifacts(config):
        image = str(artifact.get("image"))
        where = f"{label}: artifact {image}"
        if image not in used:
            problems.append(Problem(CHECK, where, "no manifest runs this image"))
        context = project.root / str(artifact.get("context", "."))
        if not context.is_dir():
            problems.append(Problem(CHECK, where, f"context {context.name!r} does not exist"))
            continue
        docker = mapping(artifact.get("docker"))
        dockerfile = context / str(docker.get("dockerfile", "Dockerfile"))
        if not dockerfile.is_file():
            relative = dockerfile.relative_to(project.root)
            problems.append(Problem(CHECK, where, f"Dockerfile {relative} does not exist"))
        elif "target" in docker and docker["target"] not in _stages(dockerfile):
            problems.append(Problem(CHECK, where, f"no build stage named {docker['target']!r}"))
        for rule in sequence(mapping(artifact.get("sync")).get("manual")):
            pattern = str(mapping(rule).get("src"))
            if not project.glob(pattern, base=context):
                problems.append(Problem(CHECK, where, f"sync src {pattern!r} matches no file"))
    return problems


def _stages(dockerfile: Path) -> set[str]:
    return set(STAGE.findall(dockerfile.read_text(encoding="utf-8")))


def _check_globs(project: Project, label: str, config: dict[str, Any]) -> list[Problem]:
    globs = raw_yaml_globs(config)
    if not globs:
        return [Problem(CHECK, label, "manifests.rawYaml lists no manifest")]
    return [
        Problem(CHECK, label, f"rawYaml glob {pattern!r} matches no file")
        for pattern in globs
        if not project.glob(pattern)
    ]


def _check_port_forwards(project: Project, label: str, config: dict[str, Any]) -> list[Problem]:
    problems = []
    for entry in sequence(config.get("portForward")):
        forward = mapping(entry)
        if str(forward.get("resourceType", "")).lower() != "service":
            continue
        name, port = forward.get("resourceName"), forward.get("port")
        service = project.named("Service", str(name))
        ports = [
            mapping(each).get("port")
            for each in sequence(mapping(service.doc.get("spec") if service else {}).get("ports"))
        ]
        if port not in ports:
            problems.append(
                Problem(CHECK, f"{label}: portForward", f"no Service {name!r} with port {port}")
            )
    return problems


def _check_undeployed(project: Project) -> list[Problem]:
    deployed = {
        str(path)
        for pattern in raw_yaml_globs(project.configs.get(SKAFFOLD_FILE, {}))
        for path in project.glob(pattern)
    }
    return [
        Problem(CHECK, path, "no rawYaml glob in skaffold.yaml deploys this manifest")
        for path in sorted({manifest.path for manifest in project.manifests})
        if path.startswith(MANIFESTS_DIR) and path not in deployed
    ]


def _check_pinned_images(project: Project, images: dict[str, str]) -> list[Problem]:
    """Images this repository does not build must name a version (a tag or a digest)."""
    built = {
        str(artifact.get("image"))
        for config in project.configs.values()
        for artifact in artifacts(config)
    }
    return [
        Problem(CHECK, where, f"image {image!r} is not pinned to a version")
        for image, where in images.items()
        if image_name(image) not in built and not _pinned(image)
    ]


def _pinned(image: str) -> bool:
    return "@" in image or (image_name(image) != image and not image.endswith(":latest"))

"""Reading pod templates and containers out of workload manifests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tools.deploycheck.project import Manifest, Project, mapping, sequence

# Kinds whose spec.template is a pod template.
WORKLOAD_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"})

# `backend.<service>.app:create_app` as a container argument.
ENTRYPOINT = re.compile(r"^backend(\.[A-Za-z_]\w*)+:[A-Za-z_]\w*$")


@dataclass(frozen=True, slots=True)
class PodTemplate:
    owner: Manifest
    labels: dict[str, Any]
    spec: dict[str, Any]

    def containers(self) -> list[dict[str, Any]]:
        return [
            mapping(each)
            for key in ("initContainers", "containers")
            for each in sequence(self.spec.get(key))
        ]


def pod_templates(project: Project) -> Iterator[PodTemplate]:
    for manifest in project.manifests:
        spec = mapping(manifest.doc.get("spec"))
        if manifest.kind == "CronJob":
            spec = mapping(mapping(spec.get("jobTemplate")).get("spec"))
        elif manifest.kind not in WORKLOAD_KINDS:
            continue
        template = mapping(spec.get("template"))
        labels = mapping(mapping(template.get("metadata")).get("labels"))
        yield PodTemplate(manifest, labels, mapping(template.get("spec")))


def entrypoints(container: dict[str, Any]) -> list[str]:
    """The ``backend.X.app:create_app`` factories a container's command line names."""
    words = [*sequence(container.get("command")), *sequence(container.get("args"))]
    return [str(word) for word in words if ENTRYPOINT.match(str(word))]


def selects(selector: dict[str, Any], labels: dict[str, Any]) -> bool:
    return bool(selector) and all(labels.get(key) == value for key, value in selector.items())

"""The Deployments of ``deploy/k8s/`` started as processes from images built here.

A container runs its image's ``ENTRYPOINT``/``CMD`` (or the Deployment's ``command`` and
``args``, with Kubernetes' rules) in the image's ``WORKDIR``, with the image's ``ENV`` and
the Deployment's environment: the ConfigMap, fresh values for every Secret it references,
and only the MongoDB, Redis and Stripe addresses pointed at the local stand-ins. The one
translation from a pod network to loopback: the container's port becomes a free port and
``0.0.0.0`` becomes ``127.0.0.1`` in its command line.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.support.image_build import Image, ImageBuilder
from tools.deploycheck.project import Project, mapping, sequence
from tools.deploycheck.skaffold import artifacts, image_name
from tools.deploycheck.workloads import pod_templates
from tools.devstack.processes import Child, free_port


@dataclass(frozen=True)
class ContainerSpec:
    """One Deployment's container whose image is built by this repository."""

    deployment: str
    image: str
    container: dict[str, Any]

    @property
    def port(self) -> int:
        return int(mapping(sequence(self.container.get("ports"))[0])["containerPort"])

    @property
    def ready_path(self) -> str:
        probe = mapping(self.container.get("readinessProbe"))
        return str(mapping(probe.get("httpGet")).get("path"))


def built_images(project: Project) -> dict[str, dict[str, Any]]:
    """Image name → its Skaffold artifact (the base configuration, no profile)."""
    base = next(iter(project.configs.values()))
    return {str(artifact["image"]): artifact for artifact in artifacts(base)}


def container_specs(project: Project) -> list[ContainerSpec]:
    images = built_images(project)
    return [
        ContainerSpec(template.owner.name, image_name(str(container.get("image"))), container)
        for template in pod_templates(project)
        if template.owner.kind == "Deployment"
        for container in template.containers()
        if image_name(str(container.get("image"))) in images
    ]


def build_image(project: Project, image: str, root: Path) -> Image:
    artifact = built_images(project)[image]
    context = project.root / str(artifact.get("context", "."))
    docker = mapping(artifact.get("docker"))
    builder = ImageBuilder(context, context / str(docker["dockerfile"]), root)
    target = docker.get("target")
    return builder.build(str(target) if target else None)


def fresh_secret(key: str) -> str:
    """A value nobody has seen, shaped as the key's owner expects."""
    token = secrets.token_hex(24)
    if "PUBLISHABLE" in key:
        return f"pk_test_{token}"
    if key.startswith("STRIPE"):
        return f"sk_test_{token}"
    return token


@dataclass
class Environment:
    """What the cluster around the pods provides: the stand-ins' addresses, and the
    Secrets, each made up once (every Deployment that references one sees one value)."""

    stand_ins: Mapping[str, str]
    secrets: dict[tuple[str, str], str] = field(default_factory=dict)

    def secret(self, name: str, key: str) -> str:
        return self.secrets.setdefault((name, key), fresh_secret(key))


def deployment_env(project: Project, spec: ContainerSpec, cluster: Environment) -> dict[str, str]:
    """What Kubernetes would give the container, with the stand-ins' addresses."""
    env: dict[str, str] = {}
    for source in map(mapping, sequence(spec.container.get("envFrom"))):
        name = mapping(source.get("configMapRef")).get("name")
        config = project.named("ConfigMap", str(name))
        assert config is not None, f"{spec.deployment}: no ConfigMap {name}"
        env.update({key: str(value) for key, value in mapping(config.doc.get("data")).items()})
    for entry in map(mapping, sequence(spec.container.get("env"))):
        env[str(entry["name"])] = _value(project, entry, cluster)
    env.update({key: value for key, value in cluster.stand_ins.items() if key in env})
    return env


def _value(project: Project, entry: dict[str, Any], cluster: Environment) -> str:
    if "value" in entry:
        return str(entry["value"])
    source = mapping(entry.get("valueFrom"))
    if "secretKeyRef" in source:
        reference = mapping(source["secretKeyRef"])
        return cluster.secret(str(reference["name"]), str(reference["key"]))
    reference = mapping(source.get("configMapKeyRef"))
    config = project.named("ConfigMap", str(reference.get("name")))
    assert config is not None, f"no ConfigMap {reference.get('name')}"
    return str(mapping(config.doc.get("data"))[str(reference["key"])])


def command_line(image: Image, container: dict[str, Any]) -> list[str]:
    """Kubernetes' rule: ``command`` replaces ENTRYPOINT, ``args`` replaces CMD."""
    command = [str(each) for each in sequence(container.get("command"))]
    args = [str(each) for each in sequence(container.get("args"))]
    if command:
        return command + args
    return image.entrypoint + (args or image.cmd)


@dataclass
class Pod:
    spec: ContainerSpec
    child: Child
    log: Path
    executable: str  # the program started, as found on the image's PATH

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.child.port}"

    def wait_ready(self, timeout: float) -> None:
        """Until the readiness probe answers 200; fails at once if the process exits."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.child.process.poll() is not None:
                raise RuntimeError(
                    f"{self.spec.deployment} exited ({self.child.process.returncode}):\n"
                    + self.log.read_text(errors="replace")[-3000:]
                )
            try:
                if httpx.get(self.url + self.spec.ready_path, timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.25)
        raise TimeoutError(
            f"{self.spec.deployment} not ready within {timeout:.0f}s; see {self.log}"
        )


def start_pod(
    project: Project, spec: ContainerSpec, image: Image, cluster: Environment, log: Path
) -> Pod:
    port = free_port()
    env = image.host_env()
    env.update(
        {key: image.host_value(value) if value.startswith("/") else value
         for key, value in deployment_env(project, spec, cluster).items()}
    )  # fmt: skip
    argv = [
        {"0.0.0.0": "127.0.0.1", str(spec.port): str(port)}.get(word, word)
        for word in command_line(image, spec.container)
    ]
    executable = shutil.which(argv[0], path=env["PATH"])
    assert executable is not None, f"{spec.deployment}: {argv[0]} is not in the image"
    workdir = str(spec.container.get("workingDir") or image.workdir)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [executable, *argv[1:]],
            cwd=image.path(workdir),
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # stopped with everything it starts
        )
    return Pod(spec, Child(spec.deployment, process, port, group=True), log, executable)

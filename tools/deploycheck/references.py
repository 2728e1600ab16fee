"""Check (c): names that point at other objects resolve — Service selectors and ports,
Ingress backends, ConfigMap and Secret references, volume claims."""

from __future__ import annotations

from typing import Any

from tools.deploycheck.contract import OPERATOR_DOCS, OPERATOR_SECRETS
from tools.deploycheck.project import Manifest, Problem, Project, mapping, sequence
from tools.deploycheck.workloads import PodTemplate, pod_templates, selects

CHECK = "references"


def check_references(project: Project) -> list[Problem]:
    templates = list(pod_templates(project))
    return [
        *_check_workload_selectors(templates),
        *_check_services(project, templates),
        *_check_ingresses(project),
        *_check_config_references(project, templates),
        *_check_committed_secrets(project),
        *_check_operator_docs(project),
    ]


def service_ports(service: Manifest) -> list[dict[str, Any]]:
    return [mapping(port) for port in sequence(mapping(service.doc.get("spec")).get("ports"))]


def _check_workload_selectors(templates: list[PodTemplate]) -> list[Problem]:
    problems = []
    for template in templates:
        selector = mapping(mapping(template.owner.doc.get("spec")).get("selector"))
        labels = mapping(selector.get("matchLabels"))
        if labels and not selects(labels, template.labels):
            problems.append(
                Problem(CHECK, template.owner.where, f"selector {labels} misses its pod labels")
            )
    return problems


def _check_services(project: Project, templates: list[PodTemplate]) -> list[Problem]:
    problems = []
    for service in project.of_kind("Service"):
        selector = mapping(mapping(service.doc.get("spec")).get("selector"))
        if not selector:
            continue
        chosen = [template for template in templates if selects(selector, template.labels)]
        if not chosen:
            problems.append(Problem(CHECK, service.where, f"selector {selector} matches no pod"))
            continue
        port_names = {
            mapping(port).get("name")
            for template in chosen
            for container in template.containers()
            for port in sequence(container.get("ports"))
        }
        for port in service_ports(service):
            target = port.get("targetPort")
            if isinstance(target, str) and target not in port_names:
                problems.append(
                    Problem(CHECK, service.where, f"targetPort {target!r} is no container port")
                )
    return problems


def _check_ingresses(project: Project) -> list[Problem]:
    problems = []
    for ingress in project.of_kind("Ingress"):
        spec = mapping(ingress.doc.get("spec"))
        backends = [mapping(spec.get("defaultBackend"))] if "defaultBackend" in spec else []
        for rule in sequence(spec.get("rules")):
            paths = sequence(mapping(mapping(rule).get("http")).get("paths"))
            backends.extend(mapping(mapping(path).get("backend")) for path in paths)
        for backend in backends:
            target = mapping(backend.get("service"))
            name, port = target.get("name"), mapping(target.get("port"))
            service = project.named("Service", str(name))
            if service is None:
                problems.append(Problem(CHECK, ingress.where, f"backend Service {name!r} missing"))
                continue
            known = [(each.get("name"), each.get("port")) for each in service_ports(service)]
            if not any(
                ("name" in port and port["name"] == known_name)
                or ("number" in port and port["number"] == known_number)
                for known_name, known_number in known
            ):
                problems.append(
                    Problem(CHECK, ingress.where, f"Service {name!r} has no port {port}")
                )
    return problems


def _secret_keys(project: Project) -> dict[str, set[str]]:
    """Secrets that will exist: the operator's, plus any a manifest defines."""
    keys = {name: set(names) for name, names in OPERATOR_SECRETS.items()}
    for secret in project.of_kind("Secret"):
        data = {**mapping(secret.doc.get("data")), **mapping(secret.doc.get("stringData"))}
        keys.setdefault(secret.name, set()).update(data)
    return keys


def _config_map_keys(project: Project) -> dict[str, set[str]]:
    return {
        config.name: {*mapping(config.doc.get("data")), *mapping(config.doc.get("binaryData"))}
        for config in project.of_kind("ConfigMap")
    }


def _check_config_references(project: Project, templates: list[PodTemplate]) -> list[Problem]:
    sources = {"ConfigMap": _config_map_keys(project), "Secret": _secret_keys(project)}
    claims = {claim.name for claim in project.of_kind("PersistentVolumeClaim")}
    problems = []

    def resolve(where: str, kind: str, ref: dict[str, Any], key: str | None) -> None:
        name = ref.get("name") or ref.get("secretName")
        if ref.get("optional") is True:
            return
        if name not in sources[kind]:
            message = f"{kind} {name!r} is neither defined here nor created by the operator"
            problems.append(Problem(CHECK, where, message))
        elif key is not None and key not in sources[kind][str(name)]:
            problems.append(Problem(CHECK, where, f"{kind} {name!r} has no key {key!r}"))

    for template in templates:
        for container in template.containers():
            where = f"{template.owner.where} container {container.get('name')}"
            for env in sequence(container.get("env")):
                value_from = mapping(mapping(env).get("valueFrom"))
                for kind, field in (("ConfigMap", "configMapKeyRef"), ("Secret", "secretKeyRef")):
                    if field in value_from:
                        ref = mapping(value_from[field])
                        resolve(where, kind, ref, str(ref.get("key")))
            for source in sequence(container.get("envFrom")):
                for kind, field in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
                    if field in mapping(source):
                        resolve(where, kind, mapping(mapping(source)[field]), None)
        for entry in sequence(template.spec.get("volumes")):
            volume = mapping(entry)
            where = f"{template.owner.where} volume {volume.get('name')}"
            if "configMap" in volume:
                resolve(where, "ConfigMap", mapping(volume["configMap"]), None)
            if "secret" in volume:
                resolve(where, "Secret", mapping(volume["secret"]), None)
            claim = mapping(volume.get("persistentVolumeClaim")).get("claimName")
            if claim is not None and claim not in claims:
                problems.append(Problem(CHECK, where, f"PersistentVolumeClaim {claim!r} missing"))
    return problems


def _check_committed_secrets(project: Project) -> list[Problem]:
    message = "has values committed; the operator creates secrets with kubectl instead"
    return [
        Problem(CHECK, secret.where, message)
        for secret in project.of_kind("Secret")
        if secret.doc.get("data") or secret.doc.get("stringData")
    ]


def _check_operator_docs(project: Project) -> list[Problem]:
    try:
        text = (project.root / OPERATOR_DOCS).read_text(encoding="utf-8")
    except OSError:
        return [Problem(CHECK, OPERATOR_DOCS, "missing: it documents the operator's secrets")]
    return [
        Problem(CHECK, OPERATOR_DOCS, f"does not tell the operator to create {word!r}")
        for name, keys in OPERATOR_SECRETS.items()
        for word in (name, *keys)
        if word not in text
    ]

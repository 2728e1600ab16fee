"""Check (c), configuration: every backend Deployment sets every setting production needs
(derived from backend.common.settings.Settings, minus the documented allow-list), and the
secrets only one service needs reach that service alone."""

from __future__ import annotations

from typing import Any

from tools.deploycheck.contract import (
    DEFAULTS_FINE_IN_PRODUCTION,
    ONLY_FOR,
    OPERATOR_SECRETS,
    settings_variables,
)
from tools.deploycheck.project import Problem, Project, mapping, sequence
from tools.deploycheck.workloads import entrypoints, pod_templates

CHECK = "environment"


def required_variables() -> dict[str, tuple[str, ...]]:
    """Setting → the names that may set it, for settings without a production default."""
    return {
        name: names
        for name, names in settings_variables().items()
        if not DEFAULTS_FINE_IN_PRODUCTION.intersection(names)
    }


def check_environment(project: Project) -> list[Problem]:
    problems = _check_allow_list()
    required = required_variables()
    for template in pod_templates(project):
        for container in template.containers():
            factories = entrypoints(container)
            if not factories:
                continue  # not a backend service
            services = {factory.split(".")[1] for factory in factories}
            where = f"{template.owner.where} container {container.get('name')}"
            present = _variables(project, container)
            problems.extend(
                Problem(CHECK, where, f"{' or '.join(names)} is not set")
                for names in required.values()
                if not present.intersection(names)
                and all(ONLY_FOR.get(name, service) == service
                        for name in names for service in services)
            )  # fmt: skip
            problems.extend(
                Problem(CHECK, where, f"{name} is given, but only {owner} may have it")
                for name, owner in ONLY_FOR.items()
                if name in present and owner not in services
            )
    return problems


def _check_allow_list() -> list[Problem]:
    known = {name for names in settings_variables().values() for name in names}
    return [
        Problem(CHECK, "DEFAULTS_FINE_IN_PRODUCTION", f"{name} is not a setting any more")
        for name in sorted(DEFAULTS_FINE_IN_PRODUCTION - known)
    ]


def _variables(project: Project, container: dict[str, Any]) -> set[str]:
    """Names a container's environment defines, including whole ConfigMaps and Secrets."""
    names = {str(mapping(env).get("name")) for env in sequence(container.get("env"))}
    for entry in sequence(container.get("envFrom")):
        source = mapping(entry)
        prefix = str(source.get("prefix", ""))
        config_map = mapping(source.get("configMapRef")).get("name")
        secret = mapping(source.get("secretRef")).get("name")
        keys: set[str] = set()
        if config_map is not None and (found := project.named("ConfigMap", str(config_map))):
            keys = set(mapping(found.doc.get("data")))
        elif secret is not None:
            keys = set(OPERATOR_SECRETS.get(str(secret), ()))
            if found := project.named("Secret", str(secret)):
                keys |= {*mapping(found.doc.get("data")), *mapping(found.doc.get("stringData"))}
        names |= {prefix + key for key in keys}
    return names

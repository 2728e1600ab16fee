"""Check (c), code: every ``backend.X.app:create_app`` a manifest runs can be imported and
called. Only imported — nothing is called, so no app is built and no I/O happens."""

from __future__ import annotations

import importlib

from tools.deploycheck.project import Problem, Project
from tools.deploycheck.workloads import entrypoints, pod_templates

CHECK = "entrypoints"


def check_entrypoints(project: Project) -> list[Problem]:
    problems = []
    for template in pod_templates(project):
        for container in template.containers():
            for entrypoint in entrypoints(container):
                where = f"{template.owner.where} container {container.get('name')}"
                if error := factory_error(entrypoint):
                    problems.append(Problem(CHECK, where, f"{entrypoint}: {error}"))
    return problems


def factory_error(entrypoint: str) -> str | None:
    """Why ``module:attribute`` is not an importable callable, or None if it is."""
    module_name, _, attribute = entrypoint.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        return f"cannot import {module_name}: {error}"
    factory = getattr(module, attribute, None)
    if factory is None:
        return f"{module_name} has no {attribute}"
    if not callable(factory):
        return f"{attribute} is not callable"
    return None

"""Check (c), services: the manifests deploy each service of tools/devstack/stack.py
(SERVICES, the one list of services and their factories), each with its Service.

Which paths reach which Service is the Ingress's alone to say: the local gateway and the
web app read it, so there is no second route table to compare it with."""

from __future__ import annotations

from tools.deploycheck.project import Problem, Project
from tools.deploycheck.workloads import entrypoints, pod_templates
from tools.devstack.stack import SERVICES

CHECK = "services"


def check_services(project: Project) -> list[Problem]:
    problems = []
    for spec in SERVICES:
        deployment = project.named("Deployment", spec.name)
        runs = {
            entrypoint
            for template in pod_templates(project)
            if template.owner is deployment
            for container in template.containers()
            for entrypoint in entrypoints(container)
        }
        if spec.factory not in runs:
            problems.append(
                Problem(CHECK, spec.name, f"no Deployment {spec.name} runs {spec.factory}")
            )
        if project.named("Service", spec.name) is None:
            problems.append(Problem(CHECK, spec.name, f"no Service named {spec.name}"))
    return problems

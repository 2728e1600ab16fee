"""Check (c), services: the manifests deploy each service of backend/devstack/stack.py
(SERVICES, the one list of services, factories and path prefixes) and route its prefixes,
at the ingress and in the web app's API_ROUTES."""

from __future__ import annotations

from urllib.parse import urlsplit

from backend.deploycheck.project import Problem, Project, mapping, sequence
from backend.deploycheck.references import service_ports
from backend.deploycheck.workloads import entrypoints, pod_templates
from backend.devstack.stack import SERVICES

CHECK = "services"
API_ROUTES = "API_ROUTES"


def check_services(project: Project) -> list[Problem]:
    return [*_check_deployed(project), *_check_ingress_routes(project), *_check_api_routes(project)]


def _check_deployed(project: Project) -> list[Problem]:
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


def _ingress_routes(project: Project) -> dict[str, str]:
    """Path → the Service the ingress sends it to."""
    routes = {}
    for ingress in project.of_kind("Ingress"):
        for rule in sequence(mapping(ingress.doc.get("spec")).get("rules")):
            for path in sequence(mapping(mapping(rule).get("http")).get("paths")):
                service = mapping(mapping(mapping(path).get("backend")).get("service"))
                routes[str(mapping(path).get("path"))] = str(service.get("name"))
    return routes


def _check_ingress_routes(project: Project) -> list[Problem]:
    routes = _ingress_routes(project)
    return [
        Problem(CHECK, "Ingress", f"{prefix} goes to {routes.get(prefix)!r}, not {spec.name!r}")
        for spec in SERVICES
        for prefix in spec.prefixes
        if routes.get(prefix) != spec.name
    ]


def _check_api_routes(project: Project) -> list[Problem]:
    problems = []
    for template in pod_templates(project):
        for container in template.containers():
            for env in map(mapping, sequence(container.get("env"))):
                if env.get("name") == API_ROUTES:
                    where = f"{template.owner.where} container {container.get('name')}"
                    problems += _check_api_routes_value(project, where, str(env.get("value")))
    return problems


def _check_api_routes_value(project: Project, where: str, value: str) -> list[Problem]:
    pairs: dict[str, str] = {}
    for pair in value.split(","):
        prefix, _, target = pair.strip().partition("=")
        pairs[prefix] = target
    problems = []
    for spec in SERVICES:
        service = project.named("Service", spec.name)
        ports = {each.get("port") for each in service_ports(service)} if service else set()
        for prefix in spec.prefixes:
            target = pairs.get(prefix, "")
            if not _points_at(target, spec.name, ports):
                wanted = f"http://{spec.name}:<a port of Service {spec.name}>"
                message = f"{API_ROUTES}: {prefix} must go to {wanted}, not {target!r}"
                problems.append(Problem(CHECK, where, message))
    return problems


def _points_at(url: str, host: str, ports: set[object]) -> bool:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:  # not a number
        return False
    return parts.scheme in {"http", "ws"} and parts.hostname == host and port in ports

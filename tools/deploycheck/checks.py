"""Every check, by name, in the order they run."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from tools.deploycheck.dockerfiles import check_dockerfiles
from tools.deploycheck.entrypoints import check_entrypoints
from tools.deploycheck.environment import check_environment
from tools.deploycheck.project import Problem, Project
from tools.deploycheck.references import check_references
from tools.deploycheck.schema import check_schemas
from tools.deploycheck.services import check_services
from tools.deploycheck.skaffold import check_skaffold

Check = Callable[[Project], list[Problem]]

CHECKS: dict[str, Check] = {
    "schema": check_schemas,
    "hadolint": check_dockerfiles,
    "references": check_references,
    "skaffold": check_skaffold,
    "environment": check_environment,
    "services": check_services,
    "entrypoints": check_entrypoints,
}


def run_checks(project: Project, only: Iterable[str] | None = None) -> list[Problem]:
    names = list(only) if only is not None else list(CHECKS)
    return [problem for name in names for problem in CHECKS[name](project)]

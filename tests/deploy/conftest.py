from __future__ import annotations

from pathlib import Path

import pytest

from tests.deploy.tree import copy_deploy_tree


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A private copy of the deployment files, safe to break."""
    return copy_deploy_tree(tmp_path)

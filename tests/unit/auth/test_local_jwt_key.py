"""The local run signs with a key of its own, kept in its data folder, never the source's."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from backend.common.settings import DEV_JWT_KEY
from tools.dev import local_jwt_key

pytestmark = pytest.mark.unit


def test_the_key_is_made_once_private_and_reused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    key = local_jwt_key(data)
    assert key != DEV_JWT_KEY
    assert len(key) >= 32
    path = data / "jwt.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # A restart reads the same key: sessions signed before it still verify.
    assert local_jwt_key(data) == key


def test_each_data_folder_gets_its_own_key(tmp_path: Path) -> None:
    assert local_jwt_key(tmp_path / "a") != local_jwt_key(tmp_path / "b")


def test_a_damaged_key_file_stops_the_run_instead_of_signing_with_it(tmp_path: Path) -> None:
    (tmp_path / "jwt.key").write_text("short\n")
    with pytest.raises(SystemExit):
        local_jwt_key(tmp_path)

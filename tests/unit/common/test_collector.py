"""The collector settled once a service has started: its start frozen, young collections
spaced out, and only once per process."""

from __future__ import annotations

import gc

import pytest

from backend.common.collector import YOUNG_THRESHOLD, settle_after_start

pytestmark = pytest.mark.unit


def test_what_the_start_built_is_frozen_and_young_collections_are_spaced_out() -> None:
    settle_after_start()
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold()[0] == YOUNG_THRESHOLD
    assert gc.isenabled()  # cycles made after the start are still collected


def test_it_settles_once_per_process() -> None:
    settle_after_start()
    frozen = gc.get_freeze_count()
    made_after: list[list[int]] = [[] for _ in range(1_000)]  # new containers, tracked
    settle_after_start()
    assert gc.get_freeze_count() == frozen  # not frozen too: they stay collectable
    assert len(made_after) == 1_000

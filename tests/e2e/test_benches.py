"""The benchmarks still run and their correctness checks hold, at a tiny size.

A benchmark prints figures and is never timed here; but a benchmark that a feature broke
measures nothing (the fan-out benchmark matched frames by price and, once prices became
all-in, counted every message missing while it exited 0). Each runs as its command
line does, on its own infrastructure, and must end with ``checks: all held``."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support.run_stack import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

RUNS = {
    "flash-sale": ["bench.flash_sale", "--buyers", "40", "--tickets", "8", "--connections", "20",
                   "--rounds", "2"],  # two rounds: the medians over rounds are printed too
    "live-fanout": ["bench.live_fanout", "--clients", "5", "--changes", "3", "--rounds", "2"],
    "hot-path": ["bench.hot_path", "--losers", "50", "--winners", "5", "--buyers", "20",
                 "--profile", "sale"],
}  # fmt: skip


@pytest.mark.parametrize("bench", RUNS)
def test_a_benchmark_runs_and_its_checks_hold(bench: str) -> None:
    command = [sys.executable, "-m", *RUNS[bench], "--time-limit", "240"]
    done = subprocess.run(
        command, check=False, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    printed = done.stdout + done.stderr
    assert done.returncode == 0, printed[-4000:]
    assert "checks: all held" in done.stdout, printed[-4000:]
    if bench == "flash-sale":
        assert "over 2 rounds, ours/baseline: throughput median" in done.stdout, printed[-4000:]
    if bench == "live-fanout":
        assert "over 2 rounds at 5 clients, live/baseline: msgs/s median" in done.stdout, printed[
            -4000:
        ]

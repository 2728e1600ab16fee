"""What every benchmark here shares: logging, percentiles, descriptor limits, a listing."""

from __future__ import annotations

import contextlib
import math
import os
import resource
import signal
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
from bson import ObjectId

from backend.common.auth import Revocations, issue_token


class TimeLimitReached(BaseException):
    """A benchmark's time limit passed (a BaseException so that nothing swallows it)."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise ``TimeLimitReached`` wherever the run is once ``seconds`` have passed
    (SIGALRM: also in blocking code)."""

    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise TimeLimitReached

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (NaN for no values)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


def raise_fd_limit(sockets: int) -> None:
    """Each socket is a descriptor here and in the server (children inherit the limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = sockets + 1024
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return
    new = wanted if hard == resource.RLIM_INFINITY else min(hard, max(wanted, soft))
    resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
    if new < wanted:
        log(f"warning: descriptor limit {new} < {wanted} wanted")


def ticket_body(price: int) -> dict[str, Any]:
    starts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 30 * 86400))
    return {
        "title": "Front row",
        "event": {"name": "The Band", "kind": "concert", "venue": "Arena", "startsAt": starts},
        "price": {"amount": price, "currency": "usd"},
    }


def expect(response: httpx.Response, status: int, what: str) -> dict[str, Any]:
    if response.status_code != status:
        raise RuntimeError(f"{what}: {response.status_code} {response.text[:500]}")
    body: dict[str, Any] = response.json()
    return body


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU time of the processes (``/proc/<pid>/stat``)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def cpu_by_name(pids: Mapping[str, Sequence[int]]) -> dict[str, float]:
    """CPU seconds each named group of processes has spent so far."""
    return {name: cpu_seconds(group) for name, group in pids.items()}


def cpu_since(before: Mapping[str, float], pids: Mapping[str, Sequence[int]]) -> dict[str, float]:
    """CPU seconds each named group has spent since ``before`` (a ``cpu_by_name``)."""
    return {name: cpu_seconds(group) - before.get(name, 0.0) for name, group in pids.items()}


async def mint_sessions(sessions: Revocations, *, key: str, count: int) -> list[tuple[str, str]]:
    """(user id, session token) of ``count`` new users, registered as sign-up would (their
    session generation in Redis) without its deliberate password hashing."""
    minted = []
    for i in range(count):
        user_id = str(ObjectId())
        await sessions.advance(user_id, 0)
        issued = issue_token(
            user_id=user_id, email=f"buyer{i}@example.com", key=key, ttl_seconds=3600
        )
        minted.append((user_id, issued.token))
    return minted

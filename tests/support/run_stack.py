"""The processes of a stack that the README's run command started
(``tests.support.devstack_process``), found by the port it serves: the operator's role
command run with that stack's settings — its MongoDB, Redis and namespace, as its gateway
has them in its environment (the runner makes them up as it starts) — and one of its
services paused for a while (an API that stops answering)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
GATEWAY = "tools.devstack.gateway:create_gateway_from_env"
PROC = Path("/proc")


def _argv(process: Path) -> list[str]:
    parts = (process / "cmdline").read_bytes().split(b"\0")
    return [part.decode(errors="replace") for part in parts]


def _option(argv: list[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv[:-1] else None


def _processes() -> Iterator[tuple[Path, list[str]]]:
    for process in PROC.iterdir():
        if process.name.isdigit():
            try:
                yield process, _argv(process)
            except OSError:  # gone meanwhile
                continue


def _parent(process: Path) -> str:
    # /proc/<pid>/stat: "pid (name) state ppid ..." (the name may hold spaces)
    return (process / "stat").read_text().rpartition(")")[2].split()[1]


def gateway_of(base_url: str) -> Path:
    """The gateway process serving ``base_url`` (``/proc/<pid>``)."""
    port = str(urlsplit(base_url).port)
    for process, argv in _processes():
        if GATEWAY in argv and _option(argv, "--port") == port:
            return process
    raise LookupError(f"no gateway of the run command listens on port {port}")


def stack_environment(base_url: str) -> dict[str, str]:
    """The environment the stack serving ``base_url`` runs its processes with."""
    environ = (gateway_of(base_url) / "environ").read_bytes().split(b"\0")
    texts = (item.decode(errors="replace") for item in environ if b"=" in item)
    return dict(text.split("=", 1) for text in texts)


def grant_operator(base_url: str, email: str) -> None:
    """Makes ``email`` an operator of the stack at ``base_url``, as its operator would."""
    done = subprocess.run(
        [sys.executable, "-m", "backend.auth.roles", "grant", "operator", email],
        env=stack_environment(base_url),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    told = done.stdout.strip()
    assert done.returncode == 0 and told.endswith(f"{email}: roles operator"), (
        f"exit {done.returncode}: {told}\n{done.stderr}"
    )


@contextmanager
def paused(base_url: str, factory: str) -> Iterator[None]:
    """The stack's service built by ``factory`` (``backend.tickets.app:create_app``)
    stopped (SIGSTOP) for the block, and always resumed after it: requests to it hang,
    as to a server that stopped answering."""
    runner = _parent(gateway_of(base_url))
    pids = [
        int(process.name)
        for process, argv in _processes()
        if factory in argv and _parent(process) == runner
    ]
    assert pids, f"no process of {factory} in the stack at {base_url}"
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)

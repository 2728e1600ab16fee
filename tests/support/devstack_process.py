"""Start the whole marketplace exactly as a developer does, with the README's run command.

``run_command_stack`` runs ``uv run python -m tools.dev --port N --data DIR [--memory]``
as a child in its own process group, waits for its "Ticketing is running at <url>" line,
yields the base URL and the ``Popen``, and always stops it again: SIGTERM to the process it
started (``uv`` hands it on to ``tools.dev``, which stops every child in order), and only
if that does not end it in time, SIGKILL to the process group it created. Its output goes
to a log file under ``artifacts/logs/``; a stack that does not come up fails with the tail
of that log and of the services' own logs.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
LOGS = ROOT / "artifacts" / "logs"

READY = re.compile(r"is running at (http://\S+)")
# The stack starts ~7 processes (and perhaps builds the web app) on a small, shared machine.
START_TIMEOUT_S = 600.0
STOP_TIMEOUT_S = 60.0
# Taken from the caller's environment they would point the stack at other servers;
# the run command starts its own unless the caller passes them in ``extra_env``.
ISOLATED_VARS = ("MONGO_URL", "REDIS_URL", "STRIPE_API_BASE", "STRIPE_SECRET_KEY", "PUBLIC_URL")


class StackDidNotStart(RuntimeError):
    """The run command exited or stayed silent; the message carries the log tails."""


def base_command() -> list[str]:
    """``uv run python -m tools.dev``: what ``./scripts/dev`` runs once bootstrapped."""
    uv = shutil.which("uv")
    if uv is None:
        raise StackDidNotStart("`uv` is not on PATH: the README's run command needs it")
    return [uv, "run", "python", "-m", "tools.dev"]


def run_command(port: int, data_dir: Path, *, memory: bool, extra_args: Sequence[str]) -> list[str]:
    argv = [*base_command(), "--port", str(port), "--data", str(data_dir)]
    if memory:
        argv.append("--memory")
    return [*argv, *extra_args]


def tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"(cannot read {path}: {exc})"
    return "\n".join(text.splitlines()[-lines:])


def diagnostics(log: Path, data_dir: Path) -> str:
    parts = [f"--- {log} (last 40 lines) ---", tail(log)]
    for service_log in sorted((data_dir / "logs").glob("*.log")):
        parts += [f"--- {service_log} (last 15 lines) ---", tail(service_log, 15)]
    return "\n".join(parts)


def wait_until_running(process: subprocess.Popen[bytes], log: Path, timeout: float) -> str:
    """The base URL from the ready line; raises if the process exits or times out first."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(OSError):
            match = READY.search(log.read_text(errors="replace"))
            if match:
                return match.group(1)
        if process.poll() is not None:
            raise StackDidNotStart(f"the run command exited with {process.returncode}")
        if time.monotonic() >= deadline:
            raise StackDidNotStart(f"no 'is running at' line after {timeout:.0f}s")
        time.sleep(0.25)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # a member we cannot signal still exists
        return True
    return True


def stop(process: subprocess.Popen[bytes], timeout: float = STOP_TIMEOUT_S) -> None:
    """SIGTERM to the process we started; SIGKILL to its process group if it lingers."""
    pgid = process.pid  # start_new_session: the child leads its own group
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
            process.wait()
    # Anything of ours left behind (a child the runner could not stop) goes too.
    deadline = time.monotonic() + 10.0
    while _group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if _group_alive(pgid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)


@contextlib.contextmanager
def run_command_stack(
    port: int,
    data_dir: Path,
    extra_env: Mapping[str, str] | None = None,
    memory: bool = True,
    *,
    extra_args: Sequence[str] = (),
    timeout: float = START_TIMEOUT_S,
    log_path: Path | None = None,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Run the marketplace with the README's run command; yield ``(base_url, process)``.

    ``extra_env`` is added to the environment; ``extra_args`` to the command line (for
    options of the runner that other tests need). The output is kept in ``log_path``
    (default ``artifacts/logs/run-command-<port>.log``).
    """
    log = log_path or LOGS / f"run-command-{port}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ISOLATED_VARS}
    env |= {"PYTHONUNBUFFERED": "1", **(extra_env or {})}
    argv = run_command(port, data_dir, memory=memory, extra_args=extra_args)
    with log.open("wb") as out:  # the child keeps its own descriptor
        out.write(f"$ {' '.join(argv)}\n".encode())
        out.flush()
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        try:
            base_url = wait_until_running(process, log, timeout)
        except StackDidNotStart as exc:
            stop(process)
            raise StackDidNotStart(f"{exc}\n{diagnostics(log, data_dir)}") from None
        yield base_url, process
    finally:
        stop(process)

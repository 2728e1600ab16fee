"""Starting and stopping local infrastructure processes."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# Ports handed out by this process. A port is only free until its owner binds it, and a
# child binds seconds later (the web app after its ~40 s build): without this a second
# call could hand out the same port, and the first child to bind would take the other's
# traffic.
_GIVEN: set[int] = set()


def free_port() -> int:
    """A loopback port nothing listens on, never one this process handed out before."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port not in _GIVEN:
            _GIVEN.add(port)
            return port


def wait_for_port(
    port: int, *, timeout: float = 20.0, process: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


@dataclass
class Child:
    """A child process we started; stopped by its own PID only."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    group: bool = False  # it leads its own process group (it starts children of its own)

    def wait_ready(self, timeout: float = 30.0) -> None:
        wait_for_port(self.port, timeout=timeout, process=self.process)

    def stop(self, timeout: float = 10.0) -> None:
        if self.process.poll() is not None and not self.group:
            return
        self._signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            self.process.wait()
        if self.group:  # whatever it started and left behind
            self._signal(signal.SIGKILL)

    def _signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            if self.group:
                os.killpg(self.process.pid, signum)
            else:
                self.process.send_signal(signum)


def spawn(
    name: str,
    argv: Sequence[str],
    port: int,
    *,
    log: Path | None = None,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    group: bool = False,
) -> Child:
    """Start a child without waiting for it (see ``Child.wait_ready``). With ``group`` it
    leads a process group of its own, and stopping it stops everything it started."""
    with open(log or os.devnull, "ab") as out:  # the child keeps its own descriptor
        process = subprocess.Popen(
            list(argv),
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            cwd=cwd,
            start_new_session=group,
        )
    return Child(name, process, port, group)


def start(
    name: str,
    argv: Sequence[str],
    port: int,
    *,
    log: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 30.0,
) -> Child:
    """Start a child and wait until it listens on its port."""
    child = spawn(name, argv, port, log=log, env=env)
    try:
        child.wait_ready(timeout)
    except BaseException:
        child.stop()
        raise
    return child


def start_redis(port: int, *, log: Path | None = None) -> Child:
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
    return start("redis", _redis_argv(binary, port), port, log=log)


def _redis_argv(binary: str, port: int) -> list[str]:
    """A redis-server on loopback that keeps nothing on disk."""
    return [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]


def start_redis_cluster(nodes: int, *, logs: Path, data: Path) -> tuple[list[Child], str]:
    """A real Redis Cluster of ``nodes`` masters on loopback (no replicas), each node with
    its client and cluster-bus ports from ``free_port``; the children, and a URL of one
    node (a cluster client finds the others from it)."""
    server, cli = shutil.which("redis-server"), shutil.which("redis-cli")
    if server is None or cli is None:
        raise RuntimeError("redis-server/redis-cli are not installed (apt-get install redis)")
    children: list[Child] = []
    try:
        for _ in range(nodes):
            port, bus = free_port(), free_port()
            node = data / str(port)
            node.mkdir(parents=True, exist_ok=True)
            argv = [*_redis_argv(server, port), "--cluster-enabled", "yes",
                    "--cluster-port", str(bus), "--cluster-config-file",
                    str(node / "nodes.conf"), "--dir", str(node)]  # fmt: skip
            children.append(start(f"redis-{port}", argv, port, log=logs / f"redis-{port}.log"))
        addresses = [f"127.0.0.1:{child.port}" for child in children]
        subprocess.run(
            [cli, "--cluster", "create", *addresses, "--cluster-replicas", "0", "--cluster-yes"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        for child in children:
            _wait_cluster_ok(cli, child.port)
    except BaseException:
        for child in reversed(children):
            child.stop()
        raise
    return children, f"redis://127.0.0.1:{children[0].port}/0"


def _wait_cluster_ok(cli: str, port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        command = [cli, "-p", str(port), "cluster", "info"]
        info = subprocess.run(command, check=False, capture_output=True, text=True, timeout=10)
        if "cluster_state:ok" in info.stdout:
            return
        time.sleep(0.1)
    raise TimeoutError(f"the Redis Cluster node on {port} is not ok after {timeout}s")


def start_mongo(port: int, *, data_dir: Path | None = None, log: Path | None = None) -> Child:
    argv = [sys.executable, "-m", "tools.devstack.mongo", "--port", str(port)]
    if data_dir is not None:
        argv += ["--data", str(data_dir)]
    return start("mongo", argv, port, log=log)


def start_stripe(port: int, *, log: Path | None = None) -> Child:
    argv = [sys.executable, "-m", "tools.devstack.stripe", "--port", str(port)]
    return start("localstripe", argv, port, log=log)


def start_connect(port: int, *, log: Path | None = None) -> Child:
    """The Stripe Connect stand-in (``tools.devstack.connect``)."""
    argv = [sys.executable, "-m", "tools.devstack.connect", "--port", str(port)]
    return start("connect", argv, port, log=log)


def start_mailsink(smtp_port: int, http_port: int, *, log: Path | None = None) -> Child:
    """The SMTP sink (``tools.devstack.mailsink``); its ``port`` is the HTTP one."""
    argv = [sys.executable, "-m", "tools.devstack.mailsink",
            "--smtp-port", str(smtp_port), "--http-port", str(http_port)]  # fmt: skip
    child = start("mailsink", argv, http_port, log=log)
    try:
        wait_for_port(smtp_port, process=child.process)
    except BaseException:
        child.stop()
        raise
    return child


def start_stand_ins(logs: Path, children: list[Child]) -> dict[str, str]:
    """A private redis-server, mongoeco wire server, localstripe, the Stripe Connect
    stand-in and the mail sink on free loopback ports (appended to ``children`` as each
    starts); their addresses by setting name."""
    redis_port, mongo_port, stripe_port = free_port(), free_port(), free_port()
    connect_port, smtp_port, mail_port = free_port(), free_port(), free_port()
    children.append(start_redis(redis_port, log=logs / "redis.log"))
    children.append(start_mongo(mongo_port, log=logs / "mongo.log"))
    children.append(start_stripe(stripe_port, log=logs / "localstripe.log"))
    children.append(start_connect(connect_port, log=logs / "connect.log"))
    children.append(start_mailsink(smtp_port, mail_port, log=logs / "mailsink.log"))
    return {
        "MONGO_URL": f"mongodb://127.0.0.1:{mongo_port}/?directConnection=true",
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "STRIPE_API_BASE": f"http://127.0.0.1:{stripe_port}",
        "STRIPE_CONNECT_API_BASE": f"http://127.0.0.1:{connect_port}",
        "SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        "MAIL_SINK_URL": f"http://127.0.0.1:{mail_port}",
    }

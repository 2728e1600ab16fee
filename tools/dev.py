"""Run the whole marketplace locally with embedded defaults: ``python -m tools.dev``.

Starts (unless configured to use existing ones) a private redis-server, the mongoeco
wire server persisting under ``.data/``, localstripe, a Stripe Connect stand-in and a mail
sink on loopback, then every service as its own uvicorn process and the Reflex web app,
behind one origin that mirrors the ingress routes. Ctrl-C or SIGTERM stops every child it
started.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import socket
import sys
import time
from pathlib import Path
from types import FrameType

from tools.devstack.frontend import FRONTEND_DIR, start_frontend, wait_frontend
from tools.devstack.processes import (
    Child,
    free_port,
    start,
    start_connect,
    start_mailsink,
    start_mongo,
    start_redis,
    start_stripe,
)
from tools.devstack.seed import BUYER, SELLER, seed
from tools.devstack.seed import PASSWORD as DEMO_PASSWORD
from tools.devstack.services import ServiceProcesses
from tools.devstack.stack import INGRESS

ROOT = Path(__file__).resolve().parent.parent


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.dev", description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--data", type=Path, default=ROOT / ".data", help="local data folder")
    parser.add_argument("--memory", action="store_true", help="keep MongoDB data in memory only")
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("WORKERS", "1")),
        help="uvicorn worker processes per service (WORKERS)",
    )
    parser.add_argument("--seed", action="store_true", help="load demo users and tickets")
    parser.add_argument(
        "--api-only", action="store_true", help="the services without the web app (faster)"
    )
    parser.add_argument(
        "--frontend-timeout", type=float, default=900, help="seconds allowed for the web build"
    )
    return parser.parse_args(argv)


def reserve(port: int) -> socket.socket | None:
    """Hold the public port until the gateway takes it over, so no child's port can be
    chosen on it meanwhile; None if something else has it. It listens (nothing accepts):
    only a listener keeps another ``SO_REUSEADDR`` socket, a second runner, off it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the gateway binds it
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen(1)
    except OSError:
        sock.close()
        return None
    return sock


def local_jwt_key(data: Path) -> str:
    """The local run's own JWT key: made once (random, file mode 0600) in the data folder
    and read again on every start, so sessions outlive a restart and the key written in
    the source (``DEV_JWT_KEY``) signs nothing."""
    path = data / "jwt.key"
    data.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        fd = -1
    if fd < 0:
        key = path.read_text(encoding="ascii").strip()
        if len(key) < 32:
            raise SystemExit(f"{path} holds no usable JWT key; delete it to make a new one")
        return key
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="ascii") as file:
        file.write(key + "\n")
    return key


def start_infrastructure(args: argparse.Namespace, logs: Path, children: list[Child]) -> None:
    """Redis, MongoDB, Stripe (cards and Connect) and SMTP stand-ins, unless the
    environment names real ones."""
    env = os.environ
    if not env.get("REDIS_URL"):
        port = free_port()
        children.append(start_redis(port, log=logs / "redis.log"))
        env["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
    if not env.get("MONGO_URL"):
        port = free_port()
        data_dir = None if args.memory else args.data / "mongo"
        children.append(start_mongo(port, data_dir=data_dir, log=logs / "mongo.log"))
        env["MONGO_URL"] = f"mongodb://127.0.0.1:{port}/?directConnection=true"
    if "STRIPE_API_BASE" not in env and not env.get("STRIPE_SECRET_KEY"):
        port = free_port()
        children.append(start_stripe(port, log=logs / "localstripe.log"))
        env["STRIPE_API_BASE"] = f"http://127.0.0.1:{port}"
    # localstripe has no Connect: its local stand-in, unless real Stripe is configured.
    if "STRIPE_CONNECT_API_BASE" not in env and not env.get("STRIPE_SECRET_KEY"):
        port = free_port()
        children.append(start_connect(port, log=logs / "connect.log"))
        env["STRIPE_CONNECT_API_BASE"] = f"http://127.0.0.1:{port}"
    if not env.get("SMTP_URL"):
        smtp_port, http_port = free_port(), free_port()
        children.append(start_mailsink(smtp_port, http_port, log=logs / "mailsink.log"))
        env["SMTP_URL"] = f"smtp://127.0.0.1:{smtp_port}"
        env["MAIL_SINK_URL"] = f"http://127.0.0.1:{http_port}"
    env.setdefault("PUBLIC_URL", f"http://localhost:{args.port}")
    if not env.get("JWT_KEY"):
        env["JWT_KEY"] = local_jwt_key(args.data)


def run(args: argparse.Namespace, logs: Path, children: list[Child], public: socket.socket) -> int:
    env = os.environ
    start_infrastructure(args, logs, children)
    services = ServiceProcesses(logs, dict(env))
    # They start in parallel, and the web app builds meanwhile.
    services.spawn_all(workers=args.workers)
    children.extend(services.children.values())
    upstreams = services.upstreams()
    gateway_url = f"http://127.0.0.1:{args.port}"
    frontend: Child | None = None
    if not args.api_only:  # it builds while the services start
        port = free_port()
        print("Building the web app (the first run installs its npm packages)…", flush=True)
        frontend = start_frontend(port, env["PUBLIC_URL"], gateway_url, log=logs / "frontend.log")
        children.append(frontend)
        upstreams["frontend"] = f"http://127.0.0.1:{port}"
    asyncio.run(services.wait_ready(within_s=180))  # a loaded 2-core machine
    if frontend is not None:
        wait_frontend(frontend, logs / "frontend.log", timeout=args.frontend_timeout)
    gateway = [sys.executable, "-m", "uvicorn", "--factory",
               "tools.devstack.gateway:create_gateway_from_env",
               "--host", "127.0.0.1", "--port", str(args.port), "--no-access-log"]  # fmt: skip
    gateway_env = {
        "GATEWAY_INGRESS": str(INGRESS),
        "GATEWAY_UPSTREAMS": ",".join(f"{name}={url}" for name, url in upstreams.items()),
        "PYTHONPATH": str(FRONTEND_DIR),  # the route table is read by ticketing_ui.ingress
    }
    public.close()  # handed over to the gateway
    children.append(start("gateway", gateway, args.port, log=logs / "gateway.log", env=gateway_env))
    if args.seed:
        listed = seed(gateway_url)
        print(f"Demo data: {listed} new tickets. Sign in as {SELLER.email} or {BUYER.email}, "
              f"password {DEMO_PASSWORD}", flush=True)  # fmt: skip
    print(f"Ticketing is running at http://localhost:{args.port}  (logs: {logs})", flush=True)
    print("Press Ctrl-C to stop.", flush=True)
    while True:
        for child in children:
            if child.process.poll() is not None:
                print(f"{child.name} exited ({child.process.returncode}); see {logs}")
                return 1
        time.sleep(0.5)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logs = args.data / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    children: list[Child] = []

    def on_signal(signum: int, _: FrameType | None) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    public = reserve(args.port)
    if public is None:
        print(f"Port {args.port} is already in use; pass --port or set PORT.", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, on_signal)
    try:
        return run(args, logs, children, public)
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
        return 0
    finally:
        public.close()
        # A second Ctrl-C or SIGTERM must not interrupt the orderly shutdown.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for child in reversed(children):
            child.stop()


if __name__ == "__main__":
    sys.exit(main())

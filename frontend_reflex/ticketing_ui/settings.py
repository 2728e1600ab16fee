"""Configuration of the web app, from the environment (one place).

The app is a client of the marketplace's public REST and WebSocket APIs. ``API_URL`` is
the origin those are reached at (the local runner's gateway, or the ingress). Inside a
Kubernetes cluster ``API_INGRESS`` names the Ingress manifest (copied into the image)
instead: each API prefix is then sent straight to ``http://<its service>:<port>``.
``MAIL_SINK_URL`` (development only: the local runner's mail sink, ``tools/devstack/
mailsink.py``) shows the mails the marketplace sent at ``/dev/mails``; unset, nothing does.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ticketing_ui.ingress import Route, read_ingress, route_for


@dataclass(frozen=True, slots=True)
class UiSettings:
    api_url: str
    api_routes: tuple[Route, ...]
    public_url: str
    mail_sink_url: str = ""  # development only: the mails sent, shown at /dev/mails

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")

    def base_for(self, path: str) -> str:
        """The upstream serving ``path``: its service by the ingress, else ``api_url``."""
        route = route_for(path, self.api_routes)
        return f"http://{route.service}:{route.port}" if route else self.api_url


def api_routes(routes: tuple[Route, ...]) -> tuple[Route, ...]:
    """The ingress routes of the APIs (not the catch-all ``/``, which is this app)."""
    return tuple(route for route in routes if route.prefix.startswith("/api"))


@cache
def ui_settings() -> UiSettings:
    public_url = os.environ.get("PUBLIC_URL", "http://localhost:8000").rstrip("/")
    ingress = os.environ.get("API_INGRESS", "")
    return UiSettings(
        api_url=os.environ.get("API_URL", public_url).rstrip("/"),
        api_routes=api_routes(read_ingress(Path(ingress))) if ingress else (),
        public_url=public_url,
        mail_sink_url=os.environ.get("MAIL_SINK_URL", "").rstrip("/"),
    )

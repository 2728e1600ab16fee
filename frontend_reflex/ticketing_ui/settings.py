"""Configuration of the web app, from the environment (one place).

The app is a client of the marketplace's public REST and WebSocket APIs. ``API_URL`` is
the origin those are reached at (the local runner's gateway, or the ingress);
``API_ROUTES`` (``/api/users=http://auth:8000,...``) sends each API prefix to its own
service instead, as inside a Kubernetes cluster.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True, slots=True)
class UiSettings:
    api_url: str
    api_routes: tuple[tuple[str, str], ...]
    public_url: str

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")

    def base_for(self, path: str) -> str:
        """The upstream serving ``path`` (longest matching prefix, else ``api_url``)."""
        for prefix, url in self.api_routes:
            if path == prefix or path.startswith(prefix + "/"):
                return url
        return self.api_url


def parse_routes(text: str) -> tuple[tuple[str, str], ...]:
    routes: list[tuple[str, str]] = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        prefix, sep, url = item.partition("=")
        if not sep or not prefix.startswith("/") or not url.startswith(("http://", "https://")):
            raise ValueError(f"API_ROUTES: expected /prefix=http://host:port, got {item!r}")
        routes.append((prefix.rstrip("/"), url.rstrip("/")))
    return tuple(sorted(routes, key=lambda route: len(route[0]), reverse=True))


@cache
def ui_settings() -> UiSettings:
    public_url = os.environ.get("PUBLIC_URL", "http://localhost:8000").rstrip("/")
    return UiSettings(
        api_url=os.environ.get("API_URL", public_url).rstrip("/"),
        api_routes=parse_routes(os.environ.get("API_ROUTES", "")),
        public_url=public_url,
    )

"""The route table of the marketplace: which service serves which path prefix.

``deploy/k8s/ingress.yaml`` is its only source. ingress-nginx routes by it in the
cluster; the web app reads it (the file is copied into its image) to reach each API at
its service; the local runner's gateway reads it to mirror the ingress on one origin.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True, slots=True)
class Route:
    prefix: str  # without a trailing slash, "" for the catch-all "/"
    service: str
    port: int

    def matches(self, path: str) -> bool:
        """Prefix matching as ingress-nginx's ``pathType: Prefix`` does, by whole segments."""
        return path == self.prefix or path.startswith(self.prefix + "/")


def parse_ingress(text: str) -> tuple[Route, ...]:
    """Every path of every Ingress in ``text``, longest prefix first."""
    routes: list[Route] = []
    for doc in yaml.safe_load_all(text):
        if not isinstance(doc, dict) or doc.get("kind") != "Ingress":
            continue
        for rule in doc["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                routes.append(_route(path))
    return tuple(sorted(routes, key=lambda route: len(route.prefix), reverse=True))


def read_ingress(path: Path) -> tuple[Route, ...]:
    return parse_ingress(path.read_text())


def route_for(path: str, routes: Iterable[Route]) -> Route | None:
    """The route serving ``path`` (``routes`` longest prefix first), or None."""
    return next((route for route in routes if route.matches(path)), None)


def _route(path: dict[str, Any]) -> Route:
    if path.get("pathType") != "Prefix":
        raise ValueError(f"ingress path {path.get('path')!r}: only pathType Prefix is used")
    service = path["backend"]["service"]
    port = service["port"].get("number")
    if not isinstance(port, int):
        raise TypeError(f"ingress path {path['path']!r}: give the Service port as a number")
    return Route(str(path["path"]).rstrip("/"), str(service["name"]), port)

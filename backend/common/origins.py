"""Refusing other sites' pages: a browser sends ``Origin`` with the user's cookie on a
cross-site POST or WebSocket handshake, so a foreign ``Origin`` on those is refused.

Requests without ``Origin`` (bots, curl, the web app's own server calling the API) pass:
only browsers send it, and a browser always sends it on these requests.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from backend.common.errors import ErrorItem, error_response

# Methods that change something: a foreign page may not send them with our cookie.
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` in canonical form (lower case, default port left out),
    or None for what is no origin (``null``, a bare word, another scheme)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:  # IPv6
        host = f"[{host}]"
    return f"{scheme}://{host}" + (f":{port}" if port and port != _DEFAULT_PORTS[scheme] else "")


def allowed_origins(public_url: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """The public origin (``PUBLIC_URL``) and the configured others, canonical."""
    found = (origin_of(url) for url in (public_url, *extra))
    return frozenset(origin for origin in found if origin is not None)


class OriginMiddleware:
    """403 (common error body) for a state-changing request with a foreign ``Origin``; a
    WebSocket handshake with one is refused before it is accepted (HTTP 403)."""

    def __init__(self, app: ASGIApp, *, allowed: frozenset[str]) -> None:
        self.app = app
        self.allowed = allowed

    def _foreign(self, scope: Scope) -> str | None:
        """The foreign origin a request carries, or None (no Origin, or an allowed one)."""
        values = [value for name, value in scope["headers"] if name == b"origin"]
        if not values:
            return None
        sent = values[0].decode("latin-1")
        # Several Origin headers are no browser's doing: refused like a foreign one.
        if len(values) > 1 or origin_of(sent) not in self.allowed:
            return sent or "(empty)"
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in STATE_CHANGING:
            foreign = self._foreign(scope)
            if foreign is not None:
                response = error_response(403, [ErrorItem(message=_message(foreign))])
                await response(scope, receive, send)
                return
        elif scope["type"] == "websocket":
            foreign = self._foreign(scope)
            if foreign is not None:
                await receive()  # websocket.connect
                if "websocket.http.response" in scope.get("extensions", {}):
                    response = error_response(403, [ErrorItem(message=_message(foreign))])
                    # Starlette sends it as the handshake's denial response by itself.
                    await response(scope, receive, send)
                else:  # closing before accepting: the server answers the handshake 403
                    await send({"type": "websocket.close", "code": 1008})
                return
        await self.app(scope, receive, send)


def _message(origin: str) -> str:
    return f"Cross-site request refused: origin {origin[:100]!r} is not allowed"

"""The browser's session with the web app: an HttpOnly cookie; the API token stays here.

Page scripts can read neither the API token (a JWT) nor the cookie that stands for it:

- Every page the app serves sets ``ticketing_session``, an opaque random id, as an
  ``HttpOnly; SameSite=Lax; Path=/`` cookie (``Secure`` when ``PUBLIC_URL`` is https)
  unless the browser already sends one. The browser sends it along with the handshake of
  Reflex's ``/_event`` socket, where the state reads it (``SessionState``).
- Signing in happens in a Reflex event handler, which gets the token from the auth API
  and keeps it in the store below under a *new* session id, with the token's own expiry
  as TTL. The browser then navigates to ``/_session/activate?code=…``: a one-time code
  (60 s) bound to the session cookie it was issued under, which sets the new id as the
  cookie and redirects to the page asked for. The id changes at sign-in, so a cookie
  planted before it (session fixation) never becomes signed in, and a code taken to
  another browser is refused (login CSRF). Neither the token nor the session id appears
  in a ``/_event`` frame; only the one-time code does, and it is useless once redeemed.
- Signing out revokes the token at the API and deletes the session here; the cookie that
  remains names nothing.

The store is Redis when Reflex keeps its state there (``REFLEX_REDIS_URL``: production,
several workers and replicas); without it Reflex runs a single worker and the store is
this process's memory. Keys hold a hash of the session id, never the id itself.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol
from urllib.parse import parse_qs, urlencode

from redis.asyncio import Redis

from ticketing_ui.settings import ui_settings

COOKIE = "ticketing_session"
ACTIVATE_PATH = "/_session/activate"
CODE_SECONDS = 60
_ID_BYTES = 32
_ID_LENGTH = 43  # secrets.token_urlsafe(32)
_ID_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

type Scope = MutableMapping[str, Any]
type Message = MutableMapping[str, Any]
type Receive = Callable[[], Awaitable[Message]]
type Send = Callable[[Message], Awaitable[None]]
type ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def new_id() -> str:
    return secrets.token_urlsafe(_ID_BYTES)


def _well_formed(value: str) -> bool:
    return len(value) == _ID_LENGTH and set(value) <= _ID_CHARS


def session_id(cookie_header: str) -> str | None:
    """The session id a ``Cookie`` header carries; ``None`` unless exactly one, well formed
    (a second cookie of the name, set by a script for a narrower path, is refused)."""
    values = [
        value.strip()
        for name, sep, value in (part.strip().partition("=") for part in cookie_header.split(";"))
        if sep and name == COOKIE
    ]
    return values[0] if len(values) == 1 and _well_formed(values[0]) else None


def safe_next(target: str | None) -> str:
    """Only a path on this site (no open redirect to another origin)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    # Browsers read a backslash as "/" and drop tabs and newlines, so "/<backslash>evil.com"
    # and "/<tab>/evil.com" both lead to //evil.com.
    if "\\" in target or any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return "/"
    return target


def _key(kind: str, secret: str) -> str:
    digest = hashlib.sha256(secret.encode()).hexdigest()
    return f"ticketing:web-session:{kind}:{digest}"


class Store(Protocol):
    """Strings with a time to live: all the session needs of Redis."""

    async def put(self, key: str, value: str, ttl_s: int) -> None: ...
    async def get(self, key: str) -> str | None: ...
    async def take(self, key: str) -> str | None: ...  # get and delete, atomically
    async def ttl(self, key: str) -> int: ...  # seconds left; 0 if gone
    async def delete(self, key: str) -> None: ...


@dataclass
class MemoryStore:
    """The store of a single-process app (Reflex without Redis runs one worker)."""

    clock: Callable[[], float] = time.monotonic
    _items: dict[str, tuple[str, float]] = field(default_factory=dict)

    def _live(self, key: str) -> tuple[str, float] | None:
        item = self._items.get(key)
        if item is not None and item[1] <= self.clock():
            del self._items[key]
            return None
        return item

    async def put(self, key: str, value: str, ttl_s: int) -> None:
        now = self.clock()
        for old in [k for k, (_, until) in self._items.items() if until <= now]:
            del self._items[old]
        self._items[key] = (value, now + ttl_s)

    async def get(self, key: str) -> str | None:
        item = self._live(key)
        return item[0] if item else None

    async def take(self, key: str) -> str | None:
        item = self._live(key)
        self._items.pop(key, None)
        return item[0] if item else None

    async def ttl(self, key: str) -> int:
        item = self._live(key)
        return max(0, int(item[1] - self.clock())) if item else 0

    async def delete(self, key: str) -> None:
        self._items.pop(key, None)


@dataclass
class RedisStore:
    redis: Redis

    async def put(self, key: str, value: str, ttl_s: int) -> None:
        await self.redis.set(key, value, ex=ttl_s)

    async def get(self, key: str) -> str | None:
        return _text(await self.redis.get(key))

    async def take(self, key: str) -> str | None:
        return _text(await self.redis.getdel(key))

    async def ttl(self, key: str) -> int:
        return max(0, int(await self.redis.ttl(key)))

    async def delete(self, key: str) -> None:
        await self.redis.delete(key)


def _text(value: object) -> str | None:
    return value.decode() if isinstance(value, bytes) else None if value is None else str(value)


@dataclass(frozen=True)
class Activated:
    session_id: str
    max_age: int


@dataclass
class WebSessions:
    """Signed-in sessions: session id → API token, and the one-time codes of sign-in."""

    store: Store

    async def start(self, *, token: str, ttl_s: int, issued_under: str) -> str:
        """Keeps ``token`` under a new session id for ``ttl_s``; returns the one-time code
        that makes it the cookie of the browser whose session is ``issued_under``."""
        new, code = new_id(), new_id()
        await self.store.put(_key("token", new), token, ttl_s)
        binding = json.dumps({"session": new, "under": _key("under", issued_under)})
        await self.store.put(_key("code", code), binding, CODE_SECONDS)
        return code

    async def activate(self, code: str, current: str | None) -> Activated | None:
        """The new session of ``code``, once, and only for the browser it was issued to."""
        raw = await self.store.take(_key("code", code)) if code else None
        if raw is None:
            return None
        binding = json.loads(raw)
        new = str(binding["session"])
        if current is None or binding["under"] != _key("under", current):
            await self.store.delete(_key("token", new))  # spent: no second try
            return None
        max_age = await self.store.ttl(_key("token", new))
        if not max_age:
            return None
        await self.store.delete(_key("token", current))
        return Activated(new, max_age)

    async def renew(self, session: str, *, token: str, ttl_s: int) -> None:
        """The session goes on with a new token (the password changed: the API ended
        every session of the old generation, this one's token included)."""
        await self.store.put(_key("token", session), token, ttl_s)

    async def token(self, session: str | None) -> str:
        """The API token of ``session``, or ``""`` when it is not signed in."""
        if not session:
            return ""
        return await self.store.get(_key("token", session)) or ""

    async def end(self, session: str | None) -> None:
        if session:
            await self.store.delete(_key("token", session))


@cache
def web_sessions() -> WebSessions:
    """This process's sessions: in Reflex's Redis when it has one, else in memory."""
    from reflex.utils import prerequisites

    redis = prerequisites.get_redis()
    return WebSessions(RedisStore(redis) if redis is not None else MemoryStore())


def set_cookie(value: str, *, max_age: int | None, secure: bool) -> str:
    """A ``Set-Cookie`` value: HttpOnly (no page script reads it), SameSite=Lax."""
    parts = [f"{COOKIE}={value}", "Path=/", "HttpOnly", "SameSite=Lax"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


def activate_url(code: str, next_path: str) -> str:
    return f"{ACTIVATE_PATH}?{urlencode({'code': code, 'next': next_path})}"


def _header(scope: Scope, name: bytes) -> str:
    values = [v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == name]
    return "; ".join(values)


class SessionCookies:
    """ASGI middleware around the Reflex app: gives each browser its session cookie and
    serves ``/_session/activate`` (sign-in's switch to a new session id)."""

    def __init__(
        self,
        app: ASGIApp,
        sessions: Callable[[], WebSessions] = web_sessions,
        secure: bool | None = None,
    ) -> None:
        self.app, self.sessions = app, sessions
        self.secure = ui_settings().secure_cookies if secure is None else secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        current = session_id(_header(scope, b"cookie"))
        if scope["path"] == ACTIVATE_PATH:
            await self._activate(scope, current, send)
            return
        if current is not None:
            await self.app(scope, receive, send)
            return
        cookie = set_cookie(new_id(), max_age=None, secure=self.secure).encode("latin-1")

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie)]
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    async def _activate(self, scope: Scope, current: str | None, send: Send) -> None:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        code, target = query.get("code", [""])[0], query.get("next", ["/"])[0]
        activated = await self.sessions().activate(code, current)
        headers = [(b"cache-control", b"no-store"), (b"referrer-policy", b"no-referrer")]
        if activated is None:
            location = "/signin?" + urlencode({"next": safe_next(target)})
        else:
            location = safe_next(target)
            cookie = set_cookie(activated.session_id, max_age=activated.max_age, secure=self.secure)
            headers.append((b"set-cookie", cookie.encode("latin-1")))
        headers.append((b"location", location.encode("latin-1")))
        await send({"type": "http.response.start", "status": 303, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

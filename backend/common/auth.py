"""Sessions as HS256 JWTs: issued by the auth service (PyJWT), verified by every service
(``_signed_claims``: only the header and signature spelling this issuer writes).

The token travels in an HttpOnly cookie for browsers and as ``Authorization: Bearer``
for bots. Verification is done by Starlette's pure-ASGI ``AuthenticationMiddleware``
(so WebSockets are covered too) with the backend below. Every token names its session
(``jti``) and the user's session generation (``gen``). Signing out revokes the token that
signed out (its ``jti`` is kept in Redis until the token would have expired); a password
change moves the user's generation on, which ends every token of the generations before.
The generation lives in Redis (one key per user, written by the auth service before it
issues a token, restored from MongoDB when the auth service starts): one round trip
checks both, and a user without a generation does not exist — their token is refused.
"""

from __future__ import annotations

import base64
import functools
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import orjson
import structlog
from jwt.algorithms import HMACAlgorithm
from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.authentication import AuthCredentials, AuthenticationBackend, BaseUser
from starlette.requests import HTTPConnection
from starlette.responses import Response

from backend.common.errors import NotAuthorized
from backend.common.keys import RedisKeys
from backend.common.runtime import runtime_of
from backend.common.settings import Settings

log = structlog.get_logger(__name__)

SESSION_COOKIE = "session"
ALGORITHM = "HS256"


@dataclass(frozen=True, slots=True)
class CurrentUser(BaseUser):
    id: str
    email: str
    # Which token signed this user in, and until when it is valid (to revoke it).
    token_id: str = field(default="", compare=False)
    expires_at: int = field(default=0, compare=False)
    generation: int = field(default=0, compare=False)
    # False until its session was checked against Redis (sign-out, generation): only a
    # route that checks it itself sees such a user (``pending_user``).
    session_checked: bool = field(default=True, compare=False)

    @property
    def is_authenticated(self) -> bool:
        return True

    def unchecked(self) -> CurrentUser:
        """This user with the session still to check (field by field: ``replace``
        looks the fields up on every call)."""
        return CurrentUser(
            self.id, self.email, self.token_id, self.expires_at, self.generation, False
        )

    @property
    def display_name(self) -> str:
        return self.email

    @property
    def identity(self) -> str:
        return self.id


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    expires_at: datetime


def issue_token(
    *, user_id: str, email: str, key: str, ttl_seconds: int, generation: int = 0
) -> IssuedToken:
    now = datetime.now(UTC).replace(microsecond=0)
    expires_at = now + timedelta(seconds=ttl_seconds)
    claims = {
        "sub": user_id,
        "email": email,
        "iat": now,
        "exp": expires_at,
        "jti": secrets.token_hex(16),
        "gen": generation,
    }
    return IssuedToken(jwt.encode(claims, key, algorithm=ALGORITHM), expires_at)


# The one header ``issue_token`` writes (PyJWT's, keys sorted, no spaces). A token with any
# other header (another algorithm, ``none``, a key id, other spacing) was not signed here.
_HEADER = base64.urlsafe_b64encode(
    json.dumps({"alg": ALGORITHM, "typ": "JWT"}, separators=(",", ":")).encode()
).rstrip(b"=")


class _Keys:
    """HS256 keys, each checked by PyJWT once and kept: a key PyJWT refuses as an HMAC
    secret (empty, PEM- or JWK-shaped) raises ``InvalidKeyError`` every time, and is not
    kept."""

    _KEPT = 8  # keys in use at once: one, two while a key is rotated

    def __init__(self) -> None:
        self._prepared: dict[str, bytes] = {}

    def prepared(self, key: str) -> bytes:
        prepared = self._prepared.get(key)
        if prepared is None:
            prepared = HMACAlgorithm(HMACAlgorithm.SHA256).prepare_key(key)
            if len(self._prepared) < self._KEPT:
                self._prepared[key] = prepared
        return prepared


_keys = _Keys()


class _Refused(Exception):
    """A token ``_verified`` refuses (an exception: ``lru_cache`` keeps no refusal)."""


def _signed_claims(token: str, key: str) -> dict[str, Any]:
    """The claims of a token ``issue_token`` signed with ``key``; ``_Refused`` otherwise.

    Tokens are issued by PyJWT and checked here, more narrowly than PyJWT's ``decode``
    (which accepts any JWS header and spelling): the header must be the very bytes
    ``issue_token`` writes, and the signature the very base64url text of the HMAC, so
    there is no algorithm to choose and no second spelling of a token. The time claims
    are checked as PyJWT checks them, as integers only. ``tests/unit/common/test_auth.py``
    checks it refuses every token PyJWT refuses. Why not ``jwt.decode``: PyJWT 2.15
    checks each base64 segment one character at a time in Python and encodes it again;
    that was 38 % of its 28 µs per token (cProfile), and every buyer's first request
    to a service pays it: 13 % of the orders worker's CPU in a 4,000-buyer flash sale
    (py-spy). The claims are parsed by orjson: ``json.loads`` was a third of this
    function's time (7.3 → 5.3 µs per new token, 10.0 → 8.2 µs per ``verify_token``)."""
    try:
        raw = token.encode("ascii")
    except UnicodeError:
        raise _Refused from None
    signing, _, signature = raw.rpartition(b".")
    header, _, payload = signing.partition(b".")
    if header != _HEADER or not payload:
        raise _Refused
    try:
        secret = _keys.prepared(key)
    except jwt.InvalidKeyError:
        raise _Refused from None
    expected = base64.urlsafe_b64encode(hmac.digest(secret, signing, "sha256")).rstrip(b"=")
    if not hmac.compare_digest(expected, signature):
        raise _Refused
    try:  # signed here, so well formed; still, nothing in it is trusted blindly
        claims = orjson.loads(base64.urlsafe_b64decode(payload + b"=" * (-len(payload) % 4)))
    except ValueError:  # orjson.JSONDecodeError is one; it refuses NaN and deep nesting
        raise _Refused from None
    if not isinstance(claims, dict) or "aud" in claims:  # PyJWT refuses an unasked audience
        raise _Refused
    issued, expires, not_before = claims.get("iat"), claims.get("exp"), claims.get("nbf", 0)
    if type(issued) is not int or type(expires) is not int or type(not_before) is not int:
        raise _Refused
    now = time.time()
    if issued > now or not_before > now or expires <= now:
        raise _Refused
    return claims


def verify_token(token: str, *, key: str) -> CurrentUser | None:
    """The user a token names, or None for any bad token (expired, forged, ``alg: none``,
    without a session id ``jti`` — it could never be revoked — or a generation ``gen``…).

    A token that verified once is remembered (``_verified``): its signature and claims
    cannot change, only its time can run out, which is checked on every use. Verifying
    cost about a quarter of a lost race's CPU in the orders service (cProfile, in process)."""
    try:
        user = _verified(token, key)
    except _Refused:
        return None
    return user if user.expires_at > time.time() else None


@functools.lru_cache(maxsize=32_768)  # a few MB: one entry per session in use
def _verified(token: str, key: str) -> CurrentUser:
    claims = _signed_claims(token, key)
    sub, email = claims.get("sub"), claims.get("email")
    jti, generation = claims.get("jti"), claims.get("gen")
    if not isinstance(sub, str) or not isinstance(email, str) or not sub:
        raise _Refused
    if not isinstance(jti, str) or not jti:
        raise _Refused
    if not isinstance(generation, int) or isinstance(generation, bool) or generation < 0:
        raise _Refused
    return CurrentUser(
        id=sub,
        email=email,
        token_id=jti,
        expires_at=int(claims["exp"]),
        generation=generation,
    )


# Moves a user's generation forward only (a late or repeated write never moves it back).
_ADVANCE_GENERATION = """
local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
local wanted = tonumber(ARGV[1])
if wanted > current then redis.call('SET', KEYS[1], wanted) return wanted end
return current
"""


class Revocations:
    """Sessions that ended before their token expired: signed out (the ``jti``), of an
    older generation than the user's (the password changed), or of a user who has no
    generation (does not exist). A Redis failure while checking is logged and lets the
    (validly signed, unexpired) token through: revocation must not turn a Redis blip into
    everyone being signed out."""

    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self.redis, self.keys = redis, keys

    async def revoke(self, user: CurrentUser) -> None:
        if user.token_id:
            await self.redis.set(self.keys.revoked_token(user.token_id), "1", exat=user.expires_at)

    async def advance(self, user_id: str, generation: int) -> int:
        """Make ``generation`` the user's current one unless a later one is; the current."""
        # Registered here, not in __init__: a Revocations is made for every authenticated
        # request (``is_revoked``), while a generation moves only at sign-up, a password
        # change and the auth service's start.
        advance = self.redis.register_script(_ADVANCE_GENERATION)
        return int(await advance(keys=[self.keys.session_generation(user_id)], args=[generation]))

    async def is_revoked(self, user: CurrentUser) -> bool:
        try:
            signed_out_key, generation_key = self.check_keys(user)
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.exists(signed_out_key)
                pipe.get(generation_key)
                signed_out, current = await pipe.execute()
        except RedisError as exc:
            log.warning("auth.revocation_unchecked", error=type(exc).__name__)
            return False
        return self.revoked(user, signed_out, current)

    def check_keys(self, user: CurrentUser) -> list[str]:
        """The check's two keys: the token's revocation (``EXISTS``), the user's session
        generation (``GET``); ``revoked`` reads the two replies."""
        return [self.keys.revoked_token(user.token_id), self.keys.session_generation(user.id)]

    @staticmethod
    def revoked(user: CurrentUser, signed_out: object, current: object) -> bool:
        return bool(signed_out) or current is None or int(str(current)) != user.generation


def token_from(conn: HTTPConnection) -> str | None:
    header = conn.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return conn.cookies.get(SESSION_COOKIE) or None


class JWTAuthBackend(AuthenticationBackend):
    """Never raises: a bad token simply means "not signed in"."""

    def __init__(self, key: str, *, routes_check: frozenset[tuple[str, str]] = frozenset()) -> None:
        self.key = key
        self.routes_check = routes_check  # (method, path) of routes that check the session

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        token = token_from(conn)
        if token is None:
            return None
        user = verify_token(token, key=self.key)
        if user is None:
            return None
        if (conn.scope.get("method"), conn.scope["path"]) in self.routes_check:
            return AuthCredentials(["authenticated"]), user.unchecked()
        runtime = runtime_of(conn)
        if await Revocations(runtime.redis, runtime.keys).is_revoked(user):
            return None
        return AuthCredentials(["authenticated"]), user


def current_user(conn: HTTPConnection) -> CurrentUser | None:
    user = conn.scope.get("user")
    return user if isinstance(user, CurrentUser) else None


def require_user(conn: HTTPConnection) -> CurrentUser:
    """The signed-in user, session checked; 401 otherwise (a user whose session is still
    to be checked too: a route that forgot the check fails closed)."""
    user = current_user(conn)
    if user is None or not user.session_checked:
        raise NotAuthorized()
    return user


def pending_user(conn: HTTPConnection) -> CurrentUser:
    """The user of a route that checks the session itself (``Endpoint.route_checks_session``);
    it must refuse with 401 when ``Revocations.revoked`` says so."""
    user = current_user(conn)
    if user is None:
        raise NotAuthorized()
    return user


def set_session_cookie(response: Response, issued: IssuedToken, settings: Settings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        issued.token,
        max_age=settings.jwt_ttl_seconds,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.is_production,
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=settings.is_production
    )

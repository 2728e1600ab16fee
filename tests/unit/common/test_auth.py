"""Session tokens: what ``issue_token`` signs, ``verify_token`` accepts; nothing else."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import cast

import hypothesis
import jwt
import pytest
from hypothesis import strategies as st
from starlette.requests import Request

from backend.common.auth import CurrentUser, issue_token, pending_user, require_user, verify_token
from backend.common.errors import NotAuthorized
from tests.conftest import TEST_JWT_KEY
from tests.support.tokens import BAD_TOKENS, OTHER_KEY, good_token

pytestmark = pytest.mark.unit

USER_ID = "0123456789abcdef01234567"
EMAIL = "ada@example.com"


def test_issued_token_verifies_as_its_user() -> None:
    issued = issue_token(user_id=USER_ID, email=EMAIL, key=TEST_JWT_KEY, ttl_seconds=60)
    assert verify_token(issued.token, key=TEST_JWT_KEY) == CurrentUser(id=USER_ID, email=EMAIL)


def test_issued_token_expires_after_its_ttl() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    issued = issue_token(user_id=USER_ID, email=EMAIL, key=TEST_JWT_KEY, ttl_seconds=600)
    after = datetime.now(UTC)
    assert issued.expires_at.tzinfo is not None
    assert before + timedelta(seconds=600) <= issued.expires_at <= after + timedelta(seconds=600)
    decoded = jwt.decode(issued.token, TEST_JWT_KEY, algorithms=["HS256"])
    assert decoded["exp"] == int(issued.expires_at.timestamp())
    assert decoded["exp"] - decoded["iat"] == 600
    assert jwt.get_unverified_header(issued.token)["alg"] == "HS256"


def test_issued_token_is_refused_when_verified_with_another_key() -> None:
    issued = issue_token(user_id=USER_ID, email=EMAIL, key=TEST_JWT_KEY, ttl_seconds=60)
    assert verify_token(issued.token, key=OTHER_KEY) is None


def test_hand_built_good_token_verifies() -> None:
    # The control for the table below: its tokens fail for the reason they are named after.
    token = good_token(USER_ID, EMAIL)
    assert verify_token(token, key=TEST_JWT_KEY) == CurrentUser(id=USER_ID, email=EMAIL)


def test_a_token_verified_once_is_refused_once_it_expires(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Verified tokens are remembered; their time still runs out.
    issued = issue_token(user_id=USER_ID, email=EMAIL, key=TEST_JWT_KEY, ttl_seconds=60)
    assert verify_token(issued.token, key=TEST_JWT_KEY) is not None
    later = issued.expires_at.timestamp()
    monkeypatch.setattr("backend.common.auth.time.time", lambda: later)
    assert verify_token(issued.token, key=TEST_JWT_KEY) is None


def test_a_remembered_token_is_still_refused_under_another_key() -> None:
    issued = issue_token(user_id=USER_ID, email=EMAIL, key=TEST_JWT_KEY, ttl_seconds=60)
    assert verify_token(issued.token, key=TEST_JWT_KEY) is not None
    assert verify_token(issued.token, key=OTHER_KEY) is None
    forged = issued.token[:-4] + ("AAAA" if not issued.token.endswith("AAAA") else "BBBB")
    assert verify_token(forged, key=TEST_JWT_KEY) is None


@pytest.mark.parametrize("kind", BAD_TOKENS)
def test_verify_token_returns_none_when_token_is_bad(kind: str) -> None:
    assert verify_token(BAD_TOKENS[kind](USER_ID, EMAIL), key=TEST_JWT_KEY) is None


@pytest.mark.parametrize("token", ["", " ", "é.é.é", "a.b", "....", "Bearer x.y.z"])
def test_verify_token_returns_none_when_token_is_not_a_jwt(token: str) -> None:
    assert verify_token(token, key=TEST_JWT_KEY) is None


def test_token_that_is_not_valid_unicode_is_refused_without_raising() -> None:
    # A WebSocket ``auth`` frame can carry "\ud800" (a JSON escape): no crash, no user.
    assert verify_token("\ud800", key=TEST_JWT_KEY) is None
    assert verify_token(good_token(USER_ID, EMAIL) + "\udfff", key=TEST_JWT_KEY) is None


def test_a_user_whose_session_is_not_checked_yet_is_refused_by_every_route_but_its_own() -> None:
    """The middleware leaves the session check to a route that does it itself (the hot
    path of POST /api/orders): any other route asking for a user refuses such a user."""
    pending = CurrentUser(id=USER_ID, email=EMAIL, session_checked=False)
    request = Request({"type": "http", "method": "POST", "path": "/", "headers": []})
    request.scope["user"] = pending

    with pytest.raises(NotAuthorized):
        require_user(request)
    assert pending_user(request) is pending


PEM_SHAPED_KEY = (
    "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----"
)


@pytest.mark.parametrize("key", ["", PEM_SHAPED_KEY, '{"kty": "oct", "k": "c2VjcmV0"}'])
def test_a_key_pyjwt_refuses_as_an_hmac_secret_is_refused_every_time(key: str) -> None:
    # HS256 keys are checked once and kept; a key that fails the check is never kept.
    for _ in range(3):
        with pytest.raises(jwt.InvalidKeyError):
            jwt.encode({"sub": USER_ID}, key, algorithm="HS256")
        assert verify_token(good_token(USER_ID, EMAIL), key=key) is None


def test_tokens_of_two_keys_in_turn_each_verify_only_with_their_own() -> None:
    # Keys kept side by side (as during a rotation) do not stand in for each other.
    ours = issue_token(user_id=USER_ID, email=EMAIL, key=TEST_JWT_KEY, ttl_seconds=60)
    theirs = issue_token(user_id=USER_ID, email=EMAIL, key=OTHER_KEY, ttl_seconds=60)
    for _ in range(2):
        assert verify_token(ours.token, key=TEST_JWT_KEY) is not None
        assert verify_token(theirs.token, key=OTHER_KEY) is not None
        assert verify_token(ours.token, key=OTHER_KEY) is None
        assert verify_token(theirs.token, key=TEST_JWT_KEY) is None


# --- The verifier against PyJWT's own decode -----------------------------------------
# ``verify_token`` checks tokens more narrowly than ``jwt.decode``; whatever it accepts,
# PyJWT accepts too, with the same claims. Tokens are built from parts that are each
# right or wrong in some way: header, claims (types and times), key, spelling.

_NOW = int(datetime.now(UTC).timestamp())
_GOOD_HEADER = {"alg": "HS256", "typ": "JWT"}
_BAD_HEADERS = [
    {"typ": "JWT", "alg": "HS256"},  # the same, in another order
    {"alg": "HS256"},
    {"alg": "HS256", "typ": "JWT", "kid": "1"},
    {"alg": "HS512", "typ": "JWT"},
    {"alg": "none", "typ": "JWT"},
    {"alg": "hs256", "typ": "JWT"},
]
_BAD_TIMES: list[object] = [
    None,
    True,
    1.5,
    float(_NOW + 60),
    str(_NOW + 60),
    "soon",
    [1],
    2**70,
    _NOW + 3600,
]
# What may be wrong with a token; "nothing" is drawn as often as all the rest together.
_FAULTS = [
    "header", "spaced", "padded", "sub", "email", "jti", "gen", "iat", "exp", "nbf", "aud",
    "body", "key", "character", "cut",
]  # fmt: skip


def _segment(data: bytes, padded: bool) -> bytes:
    encoded = base64.urlsafe_b64encode(data)
    return encoded if padded else encoded.rstrip(b"=")


@st.composite
def _tokens(draw: st.DrawFn) -> str:
    """A token signed for ``TEST_JWT_KEY``, right or wrong in one way (or two)."""
    faults = set()
    if draw(st.booleans()):
        faults = set(draw(st.lists(st.sampled_from(_FAULTS), min_size=1, max_size=2)))

    def bad(name: str, good: object, wrong: Sequence[object]) -> object:
        return draw(st.sampled_from(wrong)) if name in faults else good

    header = bad("header", _GOOD_HEADER, list(_BAD_HEADERS))
    claims: dict[str, object] = {
        "sub": bad("sub", USER_ID, ["", 7, None, [USER_ID]]),
        "email": bad("email", EMAIL, [None, 1]),
        "jti": bad("jti", "a" * 32, ["", None, 3]),
        "gen": bad("gen", draw(st.integers(0, 3)), [-1, True, "0", None, 1.0]),
        "iat": bad("iat", _NOW - draw(st.integers(0, 3600)), _BAD_TIMES),
        "exp": bad("exp", _NOW + draw(st.integers(60, 3600)), [*_BAD_TIMES, _NOW - 1]),
    }
    if "nbf" in faults or draw(st.booleans()):
        claims["nbf"] = bad("nbf", _NOW - 5, _BAD_TIMES)
    if "aud" in faults:
        claims["aud"] = "ticketing"
    claims = {name: value for name, value in claims.items() if value is not None}
    separators = (", ", ": ") if "spaced" in faults else (",", ":")
    header_json = json.dumps(header, separators=separators).encode()
    body = json.dumps(claims, separators=(",", ":")).encode()
    body = cast(bytes, bad("body", body, [b"[]", b"null", b"{", b'"x"', b"{}"]))
    padded = "padded" in faults
    signing = _segment(header_json, padded) + b"." + _segment(body, padded)
    key = OTHER_KEY if "key" in faults else TEST_JWT_KEY
    digest = hmac.new(key.encode(), signing, hashlib.sha256).digest()
    token = (signing + b"." + _segment(digest, padded)).decode()
    if "character" in faults:
        at = draw(st.integers(0, len(token) - 1))
        token = token[:at] + draw(st.sampled_from("A_-.=!é")) + token[at + 1 :]
    if "cut" in faults:
        token = token[: draw(st.integers(0, len(token) - 1))]
    return token


def _pyjwt_claims(token: str, key: str) -> dict[str, object] | None:
    try:
        decoded: dict[str, object] = jwt.decode(
            token,
            key,
            algorithms=["HS256"],
            options={"require": ["sub", "exp", "iat", "jti", "gen"]},
        )
    except jwt.PyJWTError:
        return None
    return decoded


@hypothesis.settings(max_examples=3000, derandomize=True, database=None, deadline=None)
@hypothesis.given(_tokens())
def test_every_token_verified_is_one_pyjwt_verifies_with_the_same_claims(token: str) -> None:
    user = verify_token(token, key=TEST_JWT_KEY)
    claims = _pyjwt_claims(token, TEST_JWT_KEY)
    hypothesis.event("verified" if user else "refused")
    if user is None:
        return
    assert claims is not None, token
    assert (user.id, user.email, user.token_id) == (claims["sub"], claims["email"], claims["jti"])
    assert (user.generation, user.expires_at) == (claims["gen"], claims["exp"])


@hypothesis.settings(max_examples=300, derandomize=True, database=None, deadline=None)
@hypothesis.given(
    st.sampled_from([-5, 0, 7]), st.integers(1, 10**6), st.booleans(), st.text(max_size=20)
)
def test_every_token_issue_token_signs_verifies_as_pyjwt_reads_it(
    generation: int, ttl: int, other_key: bool, email: str
) -> None:
    key = OTHER_KEY if other_key else TEST_JWT_KEY
    issued = issue_token(
        user_id=USER_ID, email=email, key=key, ttl_seconds=ttl, generation=max(generation, 0)
    )
    user = verify_token(issued.token, key=key)
    claims = _pyjwt_claims(issued.token, key)
    assert user is not None and claims is not None
    assert (user.email, user.generation, user.expires_at) == (
        claims["email"],
        claims["gen"],
        claims["exp"],
    )

"""Session tokens: what ``issue_token`` signs, ``verify_token`` accepts; nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest
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

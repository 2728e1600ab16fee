"""Malformed requests to the auth API get a 4xx in the common error structure, never a 5xx."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from backend.common.settings import Settings

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"
EMAIL = "ada@example.com"
OTHER_EMAIL = "eve@example.com"
NOT_JSON = "Request body is not valid JSON"
NOT_OBJECT = "Request body must be a JSON object"

# Every endpoint that reads a JSON body (PATCH /me needs the session the fixture sets).
BODY_ENDPOINTS = [
    ("POST", "/api/users/signup"),
    ("POST", "/api/users/signin"),
    ("POST", "/api/users/token"),
    ("PATCH", "/api/users/me"),
]
BODY_ENDPOINT_IDS = ["signup", "signin", "token", "update-me"]


def errors_of(response: httpx.Response, status: int) -> list[dict[str, Any]]:
    """The error items, after checking the status and the common structure."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"errors"}, body
    items = body["errors"]
    assert isinstance(items, list) and items, body
    for item in items:
        assert set(item) == {"message", "field"}, item
        assert isinstance(item["message"], str) and item["message"], item
        assert item["field"] is None or isinstance(item["field"], str), item
    return items


def fields_of(items: list[dict[str, Any]]) -> list[str | None]:
    return [item["field"] for item in items]


@pytest.fixture
async def session(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """The client, signed in (so PATCH /me gets as far as reading its body)."""
    response = await client.post("/api/users/signup", json={"email": EMAIL, "password": PASSWORD})
    assert response.status_code == 201, response.text
    return client


@pytest.mark.parametrize(("method", "path"), BODY_ENDPOINTS, ids=BODY_ENDPOINT_IDS)
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not json", NOT_JSON),
        (b"{'email': 'ada@example.com'}", NOT_JSON),
        (b'{"email": "ada@example.com",', NOT_JSON),
        (b'{"email": "ada@example.com"}}', NOT_JSON),
        (b"\xff\xfe\x00{", NOT_JSON),
        (b"", NOT_OBJECT),
        (b"  \n\t ", NOT_OBJECT),
        (b"[]", NOT_OBJECT),
        (b'[{"email": "ada@example.com", "password": "correct horse battery"}]', NOT_OBJECT),
        (b'"ada@example.com"', NOT_OBJECT),
        (b"42", NOT_OBJECT),
        (b"null", NOT_OBJECT),
        (b"true", NOT_OBJECT),
    ],
    ids=[
        "text",
        "single-quotes",
        "truncated",
        "trailing-garbage",
        "invalid-utf8",
        "empty",
        "whitespace",
        "empty-array",
        "array-of-object",
        "string",
        "number",
        "null",
        "boolean",
    ],
)
async def test_body_is_refused_when_not_a_json_object(
    session: httpx.AsyncClient, method: str, path: str, content: bytes, message: str
) -> None:
    response = await session.request(
        method, path, content=content, headers={"content-type": "application/json"}
    )
    assert errors_of(response, 400) == [{"message": message, "field": None}]


@pytest.mark.parametrize(
    ("method", "path", "body", "fields"),
    [
        ("POST", "/api/users/signup", {}, ["email", "password"]),
        ("POST", "/api/users/signup", {"email": EMAIL}, ["password"]),
        ("POST", "/api/users/signup", {"password": PASSWORD}, ["email"]),
        ("POST", "/api/users/signup", {"displayName": "Ada"}, ["email", "password"]),
        ("POST", "/api/users/signin", {}, ["email", "password"]),
        ("POST", "/api/users/signin", {"email": EMAIL}, ["password"]),
        ("POST", "/api/users/token", {"password": PASSWORD}, ["email"]),
    ],
    ids=[
        "signup-empty",
        "signup-no-password",
        "signup-no-email",
        "signup-only-display-name",
        "signin-empty",
        "signin-no-password",
        "token-no-email",
    ],
)
async def test_missing_fields_are_reported_one_per_field(
    client: httpx.AsyncClient, method: str, path: str, body: dict[str, Any], fields: list[str]
) -> None:
    response = await client.request(method, path, json=body)
    items = errors_of(response, 400)
    assert items == [{"message": "Field required", "field": field} for field in fields]


async def test_update_me_is_refused_when_it_changes_nothing(session: httpx.AsyncClient) -> None:
    response = await session.patch("/api/users/me", json={})
    [item] = errors_of(response, 400)
    assert item["field"] is None
    assert "Nothing to change" in item["message"]


@pytest.mark.parametrize(
    ("method", "path", "body", "unknown"),
    [
        ("POST", "/api/users/signup", {"email": EMAIL, "password": PASSWORD, "isAdmin": True},
         ["isAdmin"]),
        ("POST", "/api/users/signup", {"email": EMAIL, "password": PASSWORD, "passwd": "x",
                                       "role": "admin"}, ["passwd", "role"]),
        ("POST", "/api/users/signin", {"email": EMAIL, "password": PASSWORD, "remember": 1},
         ["remember"]),
        ("POST", "/api/users/token", {"email": EMAIL, "password": PASSWORD, "scope": "all"},
         ["scope"]),
        ("PATCH", "/api/users/me", {"displayName": "Ada", "email": "eve@example.com"},
         ["email"]),
        ("PATCH", "/api/users/me", {"displayName": "Ada", "version": 7}, ["version"]),
    ],
    ids=["signup", "signup-two", "signin", "token", "update-me-email", "update-me-version"],
)  # fmt: skip
async def test_unknown_field_is_refused(
    session: httpx.AsyncClient,
    method: str,
    path: str,
    body: dict[str, Any],
    unknown: list[str],
) -> None:
    response = await session.request(method, path, json=body)
    items = errors_of(response, 400)
    assert items == [{"message": "Unknown field", "field": field} for field in unknown]


@pytest.mark.parametrize(
    ("method", "path", "body", "unknown"),
    [
        ("POST", "/api/users/signup", {"email": OTHER_EMAIL, "password": PASSWORD,
                                       "display_name": "Eve"}, "display_name"),
        ("POST", "/api/users/signup", {"email": OTHER_EMAIL, "password": PASSWORD,
                                       "display_name": 3}, "display_name"),
        ("PATCH", "/api/users/me", {"display_name": "Ada"}, "display_name"),
        ("PATCH", "/api/users/me", {"password": "new password 1",
                                    "current_password": PASSWORD}, "current_password"),
    ],
    ids=["signup", "signup-wrong-type", "update-me-display-name", "update-me-current-password"],
)  # fmt: skip
async def test_snake_case_field_is_refused_as_unknown(
    session: httpx.AsyncClient, method: str, path: str, body: dict[str, Any], unknown: str
) -> None:
    # The wire format is camelCase: the published OpenAPI schema allows no other property.
    response = await session.request(method, path, json=body)
    assert errors_of(response, 400) == [{"message": "Unknown field", "field": unknown}]


@pytest.mark.parametrize(
    ("method", "path", "body", "fields"),
    [
        ("POST", "/api/users/signup", {"email": 1, "password": PASSWORD}, ["email"]),
        ("POST", "/api/users/signup", {"email": EMAIL, "password": 12345678}, ["password"]),
        ("POST", "/api/users/signup", {"email": None, "password": None}, ["email", "password"]),
        ("POST", "/api/users/signup", {"email": [EMAIL], "password": {"p": PASSWORD}},
         ["email", "password"]),
        ("POST", "/api/users/signup", {"email": EMAIL, "password": PASSWORD, "displayName": 3},
         ["displayName"]),
        ("POST", "/api/users/signup", {"email": True, "password": 1.5, "displayName": []},
         ["email", "password", "displayName"]),
        ("POST", "/api/users/signin", {"email": 7, "password": False}, ["email", "password"]),
        ("POST", "/api/users/token", {"email": {}, "password": PASSWORD}, ["email"]),
        ("PATCH", "/api/users/me", {"displayName": 5}, ["displayName"]),
        ("PATCH", "/api/users/me", {"password": ["x"], "currentPassword": 1},
         ["password", "currentPassword"]),
    ],
    ids=[
        "signup-email-int",
        "signup-password-int",
        "signup-nulls",
        "signup-list-and-object",
        "signup-display-name-int",
        "signup-all-three",
        "signin",
        "token",
        "update-me-display-name",
        "update-me-passwords",
    ],
)  # fmt: skip
async def test_wrong_types_are_reported_per_field(
    session: httpx.AsyncClient,
    method: str,
    path: str,
    body: dict[str, Any],
    fields: list[str],
) -> None:
    response = await session.request(method, path, json=body)
    assert fields_of(errors_of(response, 400)) == fields


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/users/signup", {"email": EMAIL, "password": "x" * 7}),
        ("POST", "/api/users/signup", {"email": EMAIL, "password": "x" * 129}),
        ("POST", "/api/users/signup", {"email": EMAIL, "password": "é" * 129}),
        ("POST", "/api/users/signup", {"email": EMAIL, "password": ""}),
        ("POST", "/api/users/signin", {"email": EMAIL, "password": "x" * 129}),
        ("POST", "/api/users/token", {"email": EMAIL, "password": "x" * 129}),
        ("PATCH", "/api/users/me", {"password": "x" * 7, "currentPassword": PASSWORD}),
        ("PATCH", "/api/users/me", {"password": "x" * 129, "currentPassword": PASSWORD}),
    ],
    ids=[
        "signup-7",
        "signup-129",
        "signup-129-multibyte",
        "signup-empty",
        "signin-129",
        "token-129",
        "update-me-7",
        "update-me-129",
    ],
)
async def test_password_is_refused_when_its_length_is_out_of_bounds(
    session: httpx.AsyncClient, method: str, path: str, body: dict[str, Any]
) -> None:
    response = await session.request(method, path, json=body)
    assert fields_of(errors_of(response, 400)) == ["password"]


@pytest.mark.parametrize("length", [8, 128])
async def test_signup_accepts_password_when_its_length_is_on_a_bound(
    client: httpx.AsyncClient, length: int
) -> None:
    response = await client.post(
        "/api/users/signup", json={"email": EMAIL, "password": "p" * length}
    )
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    "email",
    [
        "",
        "ada",
        "ada@",
        "@example.com",
        "ada@@example.com",
        "ada@example",
        "ada example@example.com",
        "ada@exa mple.com",
        "ada@example..com",
        ".ada@example.com",
        "ada@-example.com",
        "a" * 250 + "@example.com",
        "ada@" + "a" * 250 + ".com",
    ],
    ids=[
        "empty",
        "no-at",
        "no-domain",
        "no-local-part",
        "two-ats",
        "no-dot-in-domain",
        "space-in-local-part",
        "space-in-domain",
        "empty-label",
        "leading-dot",
        "leading-hyphen",
        "too-long-local-part",
        "too-long-domain",
    ],
)
async def test_signup_refuses_invalid_email(client: httpx.AsyncClient, email: str) -> None:
    response = await client.post("/api/users/signup", json={"email": email, "password": PASSWORD})
    assert fields_of(errors_of(response, 400)) == ["email"]


@pytest.mark.parametrize(
    "email_json",
    [
        r'"ada\u200b@example.com"',
        r'"ada\ufeff@example.com"',
        r'"ada\u00ad@example.com"',
        r'"ada@example.com\u202e"',
        r'"\u202eada@example.com"',
        r'"ada\u0000@example.com"',
        r'"ada\u0007@example.com"',
        r'"ada\uff20example.com"',
        r'"ada@\ud83d\ude00.com"',
        r'"ada@exa\u2028mple.com"',
        r'"\ud800@example.com"',
        r'"ada@\udfff.com"',
        r'"\u0301@example.com"',
    ],
    ids=[
        "zero-width-space",
        "byte-order-mark",
        "soft-hyphen",
        "right-to-left-override-after",
        "right-to-left-override-before",
        "nul",
        "bell",
        "full-width-at",
        "emoji-domain",
        "line-separator-in-domain",
        "lone-high-surrogate",
        "lone-low-surrogate-in-domain",
        "lone-combining-mark",
    ],
)
async def test_signup_refuses_email_when_it_has_unicode_edge_cases(
    client: httpx.AsyncClient, email_json: str
) -> None:
    # Raw JSON so that lone surrogates reach the server as JSON escapes.
    content = f'{{"email": {email_json}, "password": "{PASSWORD}"}}'.encode()
    response = await client.post(
        "/api/users/signup", content=content, headers={"content-type": "application/json"}
    )
    assert fields_of(errors_of(response, 400)) == ["email"]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("A\u0301da@example.com", "\u00e1da@example.com"),
        ("ÄDÄ@EXÄMPLE.COM", "ädä@exämple.com"),
        ("ada@\uff25\uff38\uff21\uff2d\uff30\uff2c\uff25.com", "ada@example.com"),
    ],
    ids=["decomposed-vs-composed", "upper-vs-lower-umlauts", "full-width-domain"],
)
async def test_signup_conflicts_when_email_differs_only_by_unicode_form(
    client: httpx.AsyncClient, auth_url: str, first: str, second: str
) -> None:
    created = await client.post("/api/users/signup", json={"email": first, "password": PASSWORD})
    assert created.status_code == 201, created.text
    async with httpx.AsyncClient(base_url=auth_url, timeout=10) as other:
        again = await other.post("/api/users/signup", json={"email": second, "password": PASSWORD})
    assert errors_of(again, 409) == [{"message": "Email is already in use", "field": "email"}]


def padded_body(size: int) -> bytes:
    """A valid signup body padded with JSON whitespace to exactly ``size`` bytes."""
    body = json.dumps({"email": EMAIL, "password": PASSWORD}).encode()
    assert len(body) <= size
    return body[:-1] + b" " * (size - len(body)) + b"}"


async def chunks_of(data: bytes, size: int = 8 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


@pytest.mark.parametrize(("method", "path"), BODY_ENDPOINTS, ids=BODY_ENDPOINT_IDS)
@pytest.mark.parametrize("over", [1, 64 * 1024], ids=["one-byte-over", "twice"])
@pytest.mark.parametrize("streamed", [False, True], ids=["declared", "streamed"])
async def test_oversized_body_is_refused_with_413(
    session: httpx.AsyncClient,
    settings: Settings,
    method: str,
    path: str,
    over: int,
    streamed: bool,
) -> None:
    content = padded_body(settings.max_body_bytes + over)
    request = session.build_request(
        method,
        path,
        content=chunks_of(content) if streamed else content,
        headers={"content-type": "application/json"},
    )
    # Declared: refused from the Content-Length alone; streamed: counted as it arrives.
    if streamed:
        assert request.headers["transfer-encoding"] == "chunked"
        assert "content-length" not in request.headers
    else:
        assert request.headers["content-length"] == str(len(content))
    response = await session.send(request)
    assert errors_of(response, 413) == [
        {"message": f"Request body exceeds {settings.max_body_bytes} bytes", "field": None}
    ]


@pytest.mark.parametrize("streamed", [False, True], ids=["declared", "streamed"])
async def test_signup_accepts_body_when_it_is_exactly_the_limit(
    client: httpx.AsyncClient, settings: Settings, streamed: bool
) -> None:
    content = padded_body(settings.max_body_bytes)
    response = await client.post(
        "/api/users/signup",
        content=chunks_of(content) if streamed else content,
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 201, response.text


def nested(depth: int, inner: str = "") -> str:
    return "[" * depth + inner + "]" * depth


class TestWithARoomyBodyLimit:
    """100 000 nested lists take 200 kB: these tests raise the app's body limit to 1 MiB."""

    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.model_copy(update={"max_body_bytes": 1024 * 1024})

    @pytest.mark.parametrize(
        "content",
        [
            nested(100_000),
            '{"a":' * 100_000 + "1" + "}" * 100_000,
            f'{{"email": {nested(100_000)}, "password": "{PASSWORD}"}}',
            f'{{"email": "{EMAIL}", "password": "{PASSWORD}", "displayName": {nested(100_000)}}}',
        ],
        ids=["lists", "objects", "in-email", "in-display-name"],
    )
    async def test_deeply_nested_json_is_refused(
        self, client: httpx.AsyncClient, settings: Settings, content: str
    ) -> None:
        assert len(content) > 64 * 1024 and settings.max_body_bytes > len(content)
        response = await client.post(
            "/api/users/signup", content=content, headers={"content-type": "application/json"}
        )
        # "Not valid JSON" or "nested too deeply": either way one body-level error.
        assert fields_of(errors_of(response, 400)) == [None]


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (nested(30_000), None),
        (f'{{"email": {nested(5_000)}, "password": "{PASSWORD}"}}', "email"),
        (f'{{"email": "{EMAIL}", "password": "{PASSWORD}", "x": {nested(5_000)}}}', "x"),
    ],
    ids=["lists-within-limit", "in-email", "in-unknown-field"],
)
async def test_nested_json_is_refused_when_it_fits_the_body_limit(
    client: httpx.AsyncClient, content: str, field: str | None
) -> None:
    response = await client.post(
        "/api/users/signup", content=content, headers={"content-type": "application/json"}
    )
    assert fields_of(errors_of(response, 400)) == [field]


async def test_number_with_too_many_digits_is_refused(client: httpx.AsyncClient) -> None:
    # Python refuses to parse integers over 4300 digits (a ValueError, not a crash).
    content = f'{{"email": {"1" * 5000}, "password": "{PASSWORD}"}}'
    response = await client.post(
        "/api/users/signup", content=content, headers={"content-type": "application/json"}
    )
    assert errors_of(response, 400) == [{"message": NOT_JSON, "field": None}]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/api/users"),
        ("POST", "/api/users/register"),
        ("GET", "/api/users/currentuser/extra"),
        ("PATCH", "/api/users/you"),
        ("GET", "/api/tickets"),
    ],
)
async def test_unknown_route_is_404(client: httpx.AsyncClient, method: str, path: str) -> None:
    response = await client.request(method, path)
    assert errors_of(response, 404) == [{"message": "Not found", "field": None}]


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/api/users/signup", "POST"),
        ("PUT", "/api/users/signin", "POST"),
        ("DELETE", "/api/users/signout", "POST"),
        ("POST", "/api/users/currentuser", "GET"),
        ("DELETE", "/api/users/me", "PATCH"),
        ("PUT", "/api/users/me", "PATCH"),
        ("GET", "/api/users/token", "POST"),
        ("POST", "/healthz", "GET"),
    ],
)
async def test_wrong_method_is_405(
    client: httpx.AsyncClient, method: str, path: str, allowed: str
) -> None:
    response = await client.request(method, path)
    assert errors_of(response, 405) == [{"message": "Method not allowed", "field": None}]
    assert allowed in response.headers["allow"]

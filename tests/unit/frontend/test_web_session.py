"""The web session (``ticketing_ui.web_session``): the cookie's attributes, the switch to a
new session id at sign-in, and the middleware that sets the cookie, in memory."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from http.cookies import SimpleCookie

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from ticketing_ui import web_session
from ticketing_ui.web_session import (
    COOKIE,
    MemoryStore,
    SessionCookies,
    WebSessions,
    activate_url,
    new_id,
    session_id,
    set_cookie,
)

pytestmark = pytest.mark.unit

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJl"


@dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


def sessions(clock: Clock | None = None) -> WebSessions:
    return WebSessions(MemoryStore(clock=clock or Clock()))


def test_a_cookie_header_names_its_one_well_formed_session() -> None:
    sid = new_id()
    assert session_id(f"theme=dark; {COOKIE}={sid}; other=1") == sid
    assert session_id(f"{COOKIE}={sid}") == sid


@pytest.mark.parametrize(
    "header",
    [
        "",
        "theme=dark",
        f"{COOKIE}=",
        f"{COOKIE}={TOKEN}",  # the old cookie held the token itself
        f"{COOKIE}=short",
        f"{COOKIE}={'a' * 42}!",
        f"x{COOKIE}={'a' * 43}",
    ],
)
def test_a_cookie_header_without_a_well_formed_session_names_none(header: str) -> None:
    assert session_id(header) is None


def test_two_session_cookies_name_none() -> None:
    # A script can add a second cookie of the name for a narrower path; neither is trusted.
    assert session_id(f"{COOKIE}={new_id()}; {COOKIE}={new_id()}") is None


def test_the_session_cookie_is_httponly_samesite_lax_for_the_whole_site() -> None:
    header = set_cookie("abc", max_age=3600, secure=False)
    morsel = SimpleCookie(header)[COOKIE]
    assert morsel.value == "abc"
    assert morsel["httponly"] is True
    assert morsel["samesite"] == "Lax"
    assert morsel["path"] == "/"
    assert morsel["max-age"] == "3600"
    assert not morsel["secure"]


def test_the_session_cookie_is_secure_for_an_https_site() -> None:
    assert SimpleCookie(set_cookie("abc", max_age=None, secure=True))[COOKIE]["secure"] is True
    assert "Max-Age" not in set_cookie("abc", max_age=None, secure=True)


async def test_sign_in_keeps_the_token_under_a_new_session_id() -> None:
    store = sessions()
    before = new_id()
    code = await store.start(token=TOKEN, ttl_s=600, issued_under=before)
    assert await store.token(before) == ""

    activated = await store.activate(code, before)

    assert activated is not None
    assert activated.session_id != before
    assert activated.max_age == 600
    assert await store.token(activated.session_id) == TOKEN
    assert await store.token(before) == ""


async def test_a_sign_in_code_works_once() -> None:
    store, before = sessions(), new_id()
    code = await store.start(token=TOKEN, ttl_s=600, issued_under=before)
    assert await store.activate(code, before) is not None
    assert await store.activate(code, before) is None


async def test_a_sign_in_code_taken_to_another_browser_is_refused_and_spent() -> None:
    store, before = sessions(), new_id()
    code = await store.start(token=TOKEN, ttl_s=600, issued_under=before)
    assert await store.activate(code, new_id()) is None
    assert await store.activate(code, before) is None  # no second try with the right one


async def test_a_sign_in_code_needs_the_browser_to_have_a_session_cookie() -> None:
    store = sessions()
    code = await store.start(token=TOKEN, ttl_s=600, issued_under=new_id())
    assert await store.activate(code, None) is None


async def test_a_sign_in_code_runs_out_after_a_minute() -> None:
    clock = Clock()
    store, before = sessions(clock), new_id()
    code = await store.start(token=TOKEN, ttl_s=600, issued_under=before)
    clock.now += web_session.CODE_SECONDS + 1
    assert await store.activate(code, before) is None


async def test_a_session_ends_when_its_token_expires() -> None:
    clock = Clock()
    store, before = sessions(clock), new_id()
    code = await store.start(token=TOKEN, ttl_s=600, issued_under=before)
    activated = await store.activate(code, before)
    assert activated is not None
    clock.now += 599
    assert await store.token(activated.session_id) == TOKEN
    clock.now += 2
    assert await store.token(activated.session_id) == ""


async def test_sign_out_ends_the_session() -> None:
    store, before = sessions(), new_id()
    activated = await store.activate(
        await store.start(token=TOKEN, ttl_s=600, issued_under=before), before
    )
    assert activated is not None
    await store.end(activated.session_id)
    assert await store.token(activated.session_id) == ""
    assert await store.token(None) == ""


def page_app(store: WebSessions, *, secure: bool = False) -> httpx.AsyncClient:
    async def page(request: Request) -> PlainTextResponse:
        return PlainTextResponse("<html>page</html>")

    app = SessionCookies(Starlette(routes=[Route("/{path:path}", page)]), lambda: store, secure)
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://localhost:8000")


def cookie_of(response: httpx.Response) -> SimpleCookie:
    headers = response.headers.get_list("set-cookie")
    assert len(headers) == 1, headers
    return SimpleCookie(headers[0])


async def test_a_browser_without_a_session_gets_an_httponly_one() -> None:
    async with page_app(sessions()) as client:
        response = await client.get("/")
    morsel = cookie_of(response)[COOKIE]
    assert session_id(f"{COOKIE}={morsel.value}") == morsel.value
    assert morsel["httponly"] is True
    assert morsel["samesite"] == "Lax"
    assert morsel["path"] == "/"
    assert not morsel["secure"]


async def test_an_https_site_sets_a_secure_session_cookie() -> None:
    async with page_app(sessions(), secure=True) as client:
        response = await client.get("/")
    assert cookie_of(response)[COOKIE]["secure"] is True


async def test_a_browser_with_a_session_keeps_it() -> None:
    async with page_app(sessions()) as client:
        response = await client.get("/", headers={"cookie": f"{COOKIE}={new_id()}"})
    assert response.text == "<html>page</html>"
    assert "set-cookie" not in response.headers


async def test_activation_sets_the_new_session_cookie_and_goes_on() -> None:
    store, before = sessions(), new_id()
    code = await store.start(token=TOKEN, ttl_s=3600, issued_under=before)
    async with page_app(store) as client:
        response = await client.get(
            activate_url(code, "/orders?x=1"), headers={"cookie": f"{COOKIE}={before}"}
        )
    assert response.status_code == 303
    assert response.headers["location"] == "/orders?x=1"
    assert response.headers["cache-control"] == "no-store"
    morsel = cookie_of(response)[COOKIE]
    assert morsel["httponly"] is True
    assert morsel["samesite"] == "Lax"
    assert morsel["max-age"] == "3600"
    assert await store.token(morsel.value) == TOKEN
    assert TOKEN not in str(response.headers)


async def test_activation_from_another_browser_sends_it_to_sign_in() -> None:
    store = sessions()
    code = await store.start(token=TOKEN, ttl_s=3600, issued_under=new_id())
    async with page_app(store) as client:
        response = await client.get(
            activate_url(code, "/orders"), headers={"cookie": f"{COOKIE}={new_id()}"}
        )
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=%2Forders"
    assert "set-cookie" not in response.headers


async def test_activation_never_redirects_off_the_site() -> None:
    store, before = sessions(), new_id()
    code = await store.start(token=TOKEN, ttl_s=3600, issued_under=before)
    async with page_app(store) as client:
        response = await client.get(
            activate_url(code, "//evil.example/x"), headers={"cookie": f"{COOKIE}={before}"}
        )
    assert response.headers["location"] == "/"


def test_reflex_accepts_only_the_public_url_as_origin(monkeypatch: pytest.MonkeyPatch) -> None:
    import rxconfig

    monkeypatch.setenv("PUBLIC_URL", "https://tickets.example.com/")
    try:
        config = importlib.reload(rxconfig).config
        assert list(config.cors_allowed_origins) == ["https://tickets.example.com"]
    finally:
        monkeypatch.undo()
        importlib.reload(rxconfig)  # as the environment has it, for the tests after this one

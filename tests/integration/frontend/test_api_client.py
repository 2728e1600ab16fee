"""The web app's REST client (``ticketing_ui.api``) and live client (``ticketing_ui.live``)
against the real stack behind its one-origin gateway."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import replace
from typing import Any

import pytest

from backend.auth.app import create_app as create_auth_app
from backend.common.settings import Settings
from tests.support.api import PASSWORD, User, ticket_body
from tests.support.rest_stack import SignUp
from tests.support.servers import serve
from tests.support.stack import Stack
from ticketing_ui import api
from ticketing_ui.live import follow
from ticketing_ui.models import TicketView
from ticketing_ui.settings import ui_settings
from tools.devstack.processes import free_port
from wire.live import AnyFrame
from wire.orders import OrderPublic
from wire.tickets import TicketPage, TicketPublic
from wire.users import TokenResponse

pytestmark = pytest.mark.integration

GUARD_SECONDS = 30  # only so that a broken stream fails the test instead of hanging it


async def token_of(user: User) -> str:
    issued = await api.call(
        TokenResponse, "POST", "/api/users/token", json={"email": user.email, "password": PASSWORD}
    )
    return issued.token


async def close_client() -> None:
    pooled, api._client = api._client, None
    if pooled is not None:
        await pooled.aclose()


async def next_of(messages: AsyncIterator[AnyFrame], kind: str, **match: Any) -> dict[str, Any]:
    """The next message of type ``kind`` whose fields include ``match`` (as sent)."""
    async for frame in messages:
        message = frame.body()
        if message.get("type") == kind and all(message.get(k) == v for k, v in match.items()):
            return message
    raise AssertionError(f"the stream ended before a {kind} message")


# -- REST -----------------------------------------------------------------------------------
async def test_a_bad_ticket_body_is_an_api_error_per_field(ui_api: Stack, seller: User) -> None:
    body = ticket_body(title="", price=0)
    with pytest.raises(api.ApiError) as refused:
        await api.send("POST", "/api/tickets", token=await token_of(seller), json=body)
    assert refused.value.status == 400
    assert {"title", "price.amount"} <= set(refused.value.fields)
    assert all(refused.value.fields.values())  # each field says what is wrong
    assert str(refused.value) == refused.value.message != ""


async def test_a_call_without_a_token_is_an_api_error_401(ui_api: Stack) -> None:
    with pytest.raises(api.ApiError) as refused:
        await api.send("POST", "/api/tickets", json=ticket_body())
    assert refused.value.status == 401
    assert refused.value.fields == {}
    assert refused.value.message


async def test_a_created_ticket_is_returned_and_can_be_read_back(
    ui_api: Stack, seller: User
) -> None:
    created = await api.call(
        TicketPublic,
        "POST",
        "/api/tickets",
        token=await token_of(seller),
        json=ticket_body(7_550, "Balcony"),
    )
    view = TicketView.of(created)
    assert (view.title, view.amount, view.price_label, view.owner_id) == (
        "Balcony",
        7_550,
        "$75.50",
        seller.id,
    )
    # Read back it is the same ticket; its times though come back cut to milliseconds (as
    # stored), while the create answer has the microseconds sent: compare the view without.
    read = TicketView.of(await api.call(TicketPublic, "GET", f"/api/tickets/{view.id}"))
    assert replace(read, starts_at="") == replace(view, starts_at="")
    page = await api.call(TicketPage, "GET", "/api/tickets", params={"q": "Balcony"})
    assert [item.id for item in page.items] == [view.id]


async def test_an_unreachable_marketplace_is_an_api_error_503(
    ui_api: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("API_URL", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    ui_settings.cache_clear()
    with pytest.raises(api.ApiError) as refused:
        await api.send("GET", "/api/tickets")
    assert refused.value.status == 503


# -- live -----------------------------------------------------------------------------------
async def test_follow_yields_a_snapshot_then_new_listings_until_told_to_stop(
    ui_api: Stack, seller: User
) -> None:
    going = True
    async with (
        asyncio.timeout(GUARD_SECONDS),
        aclosing(follow(["tickets"], "", lambda: going)) as messages,
    ):
        first = (await anext(messages)).body()
        assert (first["type"], first["topic"]) == ("snapshot", "tickets")
        ticket = await seller.sell(title="Listed meanwhile")
        listed = await next_of(messages, "ticket.listed", ticketId=ticket["id"])
        assert listed["ticket"]["title"] == "Listed meanwhile"
        assert listed["cursor"] > first["cursor"]
        going = False
        with pytest.raises(StopAsyncIteration):
            await anext(messages)


async def test_follow_with_a_token_gets_my_orders(
    ui_api: Stack, seller: User, sign_up: SignUp
) -> None:
    buyer = await sign_up("buyer")
    ticket = await seller.sell()
    token = await token_of(buyer)
    async with (
        asyncio.timeout(GUARD_SECONDS),
        aclosing(follow(["me"], token, lambda: True)) as messages,
    ):
        first = (await anext(messages)).body()
        assert (first["type"], first["topic"], first["orders"]) == ("snapshot", "me", [])
        order = await api.call(
            OrderPublic, "POST", "/api/orders", token=token, json={"ticketId": ticket["id"]}
        )
        created = await next_of(messages, "order.created", orderId=order.id)
    assert created["ticketId"] == ticket["id"]


async def test_a_new_password_goes_on_with_the_new_token_and_ends_the_old_one(
    ui_api: Stack, buyer: User
) -> None:
    old = await token_of(buyer)
    saved = await api.save_profile(
        old, display_name="Renamed", password="a brand new passphrase", current_password=PASSWORD
    )
    assert saved.user.display_name == "Renamed"
    assert saved.token is not None
    # The web session keeps the new token; the old one (and every other session) ended.
    with pytest.raises(api.ApiError) as ended:
        await api.send("GET", "/api/tickets/mine", token=old)
    assert ended.value.status == 401
    assert (await api.send("GET", "/api/tickets/mine", token=saved.token.token)).status_code == 200


async def test_a_new_name_alone_keeps_the_session(ui_api: Stack, seller: User) -> None:
    token = await token_of(seller)
    saved = await api.save_profile(
        token, display_name="Only the name", password=None, current_password=""
    )
    assert (saved.user.display_name, saved.token) == ("Only the name", None)
    assert (await api.send("GET", "/api/tickets/mine", token=token)).status_code == 200


async def test_the_visitor_s_address_reaches_the_api_s_per_address_limits(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every visitor's calls leave the web app's server: without their own address they
    would all share its one per-address budget (one sign-up here, per address)."""
    async with serve(
        create_auth_app(settings.model_copy(update={"signup_address_limit": 1}))
    ) as url:
        monkeypatch.setenv("API_URL", url)
        monkeypatch.delenv("API_INGRESS", raising=False)
        ui_settings.cache_clear()
        await close_client()  # a new one, for this server
        try:

            async def sign_up(email: str, caller: str) -> int:
                body = {"email": email, "password": PASSWORD}
                try:
                    response = await api.send("POST", "/api/users/signup", json=body, caller=caller)
                except api.ApiError as exc:
                    return exc.status
                return response.status_code

            assert await sign_up("a@example.com", "203.0.113.7") == 201
            assert await sign_up("b@example.com", "198.51.100.9") == 201  # another visitor
            assert await sign_up("c@example.com", "203.0.113.7") == 429  # the same one again
        finally:
            await close_client()
            ui_settings.cache_clear()

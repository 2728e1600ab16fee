"""A small async client of the marketplace's public REST API, as the web app uses it.

``call`` returns the body as the API's model (``wire``), or raises :class:`ApiError`,
which carries the API's common error structure (``{"errors": [{"message", "field"}]}``)
for forms to show.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import BaseModel, ValidationError

from ticketing_ui.settings import ui_settings
from wire.orders import OrderPublic
from wire.tickets import TicketPublic
from wire.users import CurrentUserResponse, TokenResponse, UserPublic
from wire.values import PriceBreakdown

_client: httpx.AsyncClient | None = None


@dataclass
class ApiError(Exception):
    status: int
    message: str
    fields: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message


def client() -> httpx.AsyncClient:
    global _client  # noqa: PLW0603 - one pooled client per process, created on first use
    if _client is None:
        _client = httpx.AsyncClient(timeout=httpx.Timeout(20.0, connect=5.0))
    return _client


def _error(response: httpx.Response) -> ApiError:
    try:
        items = response.json().get("errors") or []
    except ValueError:
        items = []
    fields: dict[str, str] = {}
    general: list[str] = []
    for item in items:
        name, message = item.get("field"), str(item.get("message", ""))
        if name:
            fields.setdefault(str(name), message)
        else:
            general.append(message)
    message = "; ".join(general) or "; ".join(fields.values()) or f"Error {response.status_code}"
    return ApiError(response.status_code, message, fields)


async def send(
    method: str,
    path: str,
    *,
    token: str = "",
    json: Any = None,
    params: dict[str, Any] | None = None,
    caller: str = "",
    wait_s: float | None = None,
) -> httpx.Response:
    """The API's answer to one request (raises ``ApiError`` for an error status).
    ``caller`` is the browser's address, for the API's per-address limits (sign-in,
    sign-up, orders, card setup): without it every visitor would share this server's.
    ``wait_s`` replaces the client's timeouts, for callers that can't wait long."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if caller:
        headers["X-Forwarded-For"] = caller
    url = ui_settings().base_for(path) + path
    try:
        response = await client().request(
            method,
            url,
            json=json,
            params=params,
            headers=headers,
            timeout=httpx.USE_CLIENT_DEFAULT if wait_s is None else wait_s,
        )
    except httpx.HTTPError as exc:
        raise ApiError(503, "The marketplace can't be reached; try again in a moment.") from exc
    if response.status_code >= 400:
        raise _error(response)
    return response


async def call[M: BaseModel](
    answer: type[M],
    method: str,
    path: str,
    *,
    token: str = "",
    json: Any = None,
    params: dict[str, Any] | None = None,
    caller: str = "",
    wait_s: float | None = None,
) -> M:
    """One request, its answer read as ``answer``."""
    response = await send(
        method, path, token=token, json=json, params=params, caller=caller, wait_s=wait_s
    )
    try:
        return answer.model_validate_json(response.content)
    except ValidationError as exc:
        raise ApiError(502, "The marketplace answered something unexpected.") from exc


def live_url() -> str:
    base = ui_settings().base_for("/api/live")
    return base.replace("http://", "ws://", 1).replace("https://", "wss://", 1) + "/api/live"


async def hold_ticket(token: str, ticket_id: str, *, caller: str) -> OrderPublic:
    """Starts a purchase: the order that locks the ticket while its buyer pays."""
    body = {"ticketId": ticket_id}
    return await call(OrderPublic, "POST", "/api/orders", token=token, json=body, caller=caller)


async def hold_seats(token: str, listing_id: str, quantity: int, *, caller: str) -> OrderPublic:
    """Starts a purchase of ``quantity`` seats of a listing sold together: one order
    holds them all while its buyer pays."""
    body = {"listingId": listing_id, "quantity": quantity}
    return await call(OrderPublic, "POST", "/api/orders", token=token, json=body, caller=caller)


async def fees_for(amount: int, currency: str) -> PriceBreakdown:
    """What a list price of ``amount`` cents comes to: what buyers pay (``total``) and
    what the seller receives (``proceeds``); a 400 on ``price`` when it doesn't even cover
    the seller fee."""
    params = {"amount": amount, "currency": currency}
    return await call(PriceBreakdown, "GET", "/api/tickets/fees", params=params)


async def seats_of(ticket_ids: list[str], *, token: str) -> list[TicketPublic]:
    """The tickets an order holds or bought (its seats, when bought together)."""
    return list(
        await asyncio.gather(
            *(call(TicketPublic, "GET", f"/api/tickets/{i}", token=token) for i in ticket_ids)
        )
    )


@dataclass(frozen=True)
class ProfileSaved:
    user: UserPublic
    token: TokenResponse | None  # the session's new token, when the password changed


async def save_profile(
    token: str, *, display_name: str | None, password: str | None, current_password: str
) -> ProfileSaved:
    """A new display name (``PATCH /api/users/me``), then a new password
    (``POST /api/users/password``): the password change ends every session of the user's
    old generation, so the caller goes on with the new token it answers."""
    if display_name is not None:
        user = await call(
            UserPublic, "PATCH", "/api/users/me", token=token, json={"displayName": display_name}
        )
    issued = None
    if password is not None:
        body = {"currentPassword": current_password, "newPassword": password}
        issued = await call(TokenResponse, "POST", "/api/users/password", token=token, json=body)
        token = issued.token
    if display_name is None:
        me = await call(CurrentUserResponse, "GET", "/api/users/currentuser", token=token)
        if me.current_user is None:
            raise ApiError(401, "Please sign in again.")
        user = me.current_user
    return ProfileSaved(user, issued)

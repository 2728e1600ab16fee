"""One client of the public REST API, as a user drives it: the local run's demo data, the
tests, the chaos load and the benchmarks all sign up, list, buy and pay through it.

It sends requests to one origin (the gateway or the ingress) or, given a route table, to
each path's service directly; ``observe`` sees every answer (or transport error), e.g. to
tally a load test's outcomes. Answers are returned as they came: callers decide what a
status means, and read bodies with the ``wire`` models.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from wire.users import TokenResponse

type Observer = Callable[[str, httpx.Response | None, float, str], None]


class ApiClient:
    def __init__(
        self,
        base_url: str = "",
        *,
        routes: Mapping[str, str] | None = None,
        timeout: float = 30.0,
        observe: Observer | None = None,
    ) -> None:
        self.routes = dict(routes or {})  # path prefix -> base URL, instead of base_url
        self.http = httpx.AsyncClient(base_url=base_url, timeout=timeout)
        self.observe = observe

    async def __aenter__(self) -> ApiClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self.http.aclose()

    def _url(self, path: str) -> str:
        if not self.routes:
            return path
        for prefix, base in self.routes.items():
            if path.startswith(prefix):
                return base + path
        raise ValueError(f"no service serves {path}")

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Any = None,
        kind: str = "",
    ) -> httpx.Response:
        """One request; ``kind`` names it for ``observe`` (a transport error is re-raised
        after it has been observed)."""
        started = time.monotonic()
        try:
            response = await self.http.request(method, self._url(path), json=json, params=params)
        except httpx.TransportError as exc:
            if self.observe is not None:
                self.observe(kind or path, None, started, f"{type(exc).__name__}: {exc}"[:200])
            raise
        if self.observe is not None:
            self.observe(kind or path, response, started, "")
        return response

    # -- users ---------------------------------------------------------------------------
    async def sign_up(
        self, email: str, password: str, display_name: str | None = None
    ) -> httpx.Response:
        body = {"email": email, "password": password}
        if display_name is not None:
            body["displayName"] = display_name
        return await self.request("POST", "/api/users/signup", json=body, kind="signup")

    async def take_token(self, email: str, password: str) -> httpx.Response:
        """Signs in for a bearer token; on success every later request carries it."""
        body = {"email": email, "password": password}
        response = await self.request("POST", "/api/users/token", json=body, kind="token")
        if response.status_code == 200:
            token = TokenResponse.model_validate_json(response.content).token
            self.http.headers["Authorization"] = f"Bearer {token}"
        return response

    async def current_user(self) -> httpx.Response:
        return await self.request("GET", "/api/users/currentuser", kind="currentuser")

    # -- market --------------------------------------------------------------------------
    async def sell(self, body: Mapping[str, Any]) -> httpx.Response:
        return await self.request("POST", "/api/tickets", json=body, kind="create")

    async def ticket(self, ticket_id: str) -> httpx.Response:
        return await self.request("GET", f"/api/tickets/{ticket_id}", kind="show")

    async def mine(self) -> httpx.Response:
        return await self.request("GET", "/api/tickets/mine", kind="mine")

    async def edit(self, ticket_id: str, body: Mapping[str, Any]) -> httpx.Response:
        return await self.request("PATCH", f"/api/tickets/{ticket_id}", json=body, kind="edit")

    async def buy(self, ticket_id: str) -> httpx.Response:
        return await self.request("POST", "/api/orders", json={"ticketId": ticket_id}, kind="order")

    async def order(self, order_id: str) -> httpx.Response:
        return await self.request("GET", f"/api/orders/{order_id}", kind="order-show")

    async def cancel(self, order_id: str) -> httpx.Response:
        return await self.request("DELETE", f"/api/orders/{order_id}", kind="cancel")

    async def pay(self, order_id: str, method: str = "pm_card_visa") -> httpx.Response:
        body = {"orderId": order_id, "paymentMethodId": method}
        return await self.request("POST", "/api/payments", json=body, kind="pay")

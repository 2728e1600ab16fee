"""A local stand-in for exactly the Stripe Connect endpoints our payments service calls.

localstripe has no Connect. This in-memory server answers ``POST /v1/accounts``, ``GET
/v1/accounts/{id}``, ``POST /v1/account_links`` (its one-button onboarding page under
``/connect/onboard/``), ``POST``/``GET /v1/transfers``, ``GET /v1/transfers/{id}`` and ``POST
/v1/transfers/{id}/reversals`` in Stripe's wire format, ``Idempotency-Key`` included, so the
official SDK works against it unchanged. Nothing is kept: run it only locally, never deploy
it. ``python -m tools.devstack.connect --host 127.0.0.1 --port 8421``. Test hooks (not
Stripe's) under ``/_standin/``: ``GET transfers`` (with each key's replays), ``POST faults``
(``{"transfer_delay_s": 2.5}``: a pause after a transfer is recorded) and ``POST reset``.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from string import Template
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

type Json = dict[str, Any]
type Handler = Callable[[Request, Json], Json]

LINK_TTL_S = 300  # Stripe's account links last five minutes too
ONBOARDING_PAGE = Template("""<!doctype html>
<html><head><meta charset="utf-8"><title>Stripe Connect (local stand-in)</title></head>
<body>
<h1>Stripe Connect (local stand-in): onboarding for $account</h1>
<p>Nothing is checked here: completing makes the account able to receive transfers.</p>
<form method="post"><button type="submit">Complete onboarding</button></form>
<p><a href="$refresh_url">Back to the marketplace</a></p>
</body></html>
""")
_BRACKETS = re.compile(r"\[([^\]]*)\]")


class StripeError(Exception):
    """Answered in Stripe's error shape."""

    def __init__(
        self, message: str, *, param: str | None = None, status: int = 400,
        kind: str = "invalid_request_error", code: str | None = None,
    ) -> None:  # fmt: skip
        super().__init__(message)
        self.status = status
        self.body = {"error": {"type": kind, "message": message, "param": param, "code": code}}


def parse_form(pairs: Iterable[tuple[str, str]]) -> Json:
    """Stripe's bracket encoding (``metadata[userId]=u1``) as nested dicts."""
    params: Json = {}
    for key, value in pairs:
        name, bracket, rest = key.partition("[")
        path = [name, *_BRACKETS.findall(bracket + rest)]
        node = params
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return params


def _required(params: Json, name: str) -> str:
    value = params.get(name)
    if not isinstance(value, str) or not value:
        raise StripeError(f"Missing required param: {name}.", param=name)
    return value


def _amount(value: object) -> int:
    if not isinstance(value, str) or not value.isdigit() or int(value) <= 0:
        raise StripeError("Invalid positive integer", param="amount")
    return int(value)


def _metadata(params: Json) -> dict[str, str]:
    return {str(key): str(value) for key, value in dict(params.get("metadata", {})).items()}


def _find(objects: dict[str, Json], kind: str, object_id: str) -> Json:
    if (found := objects.get(object_id)) is None:
        message = f"No such {kind}: '{object_id}'"
        raise StripeError(message, param="id", status=404, code="resource_missing")
    return found


@dataclass
class _Saved:  # an idempotent request's answer, replayed for the same key and parameters
    fingerprint: str
    body: Json
    replays: int = 0


@dataclass
class _Link:
    account: str
    refresh_url: str
    return_url: str
    expires_at: int


@dataclass
class ConnectStore:
    accounts: dict[str, Json] = field(default_factory=dict)
    links: dict[str, _Link] = field(default_factory=dict)
    transfers: dict[str, Json] = field(default_factory=dict)  # in creation order
    saved: dict[str, _Saved] = field(default_factory=dict)  # by idempotency key
    transfer_delay_s: float = 0.0


class ConnectStandIn:
    """The endpoints, over one in-memory store."""

    def __init__(self) -> None:
        self.store = ConnectStore()

    def routes(self) -> list[Route]:
        api = self._api
        return [
            Route("/v1/accounts", api(self.create_account), methods=["POST"]),
            Route("/v1/accounts/{id}", api(self.get_account), methods=["GET"]),
            Route("/v1/account_links", api(self.create_link), methods=["POST"]),
            Route("/v1/transfers", api(self.create_transfer, pause=True), methods=["POST"]),
            Route("/v1/transfers", api(self.list_transfers), methods=["GET"]),
            Route("/v1/transfers/{id}", api(self.get_transfer), methods=["GET"]),
            Route("/v1/transfers/{id}/reversals", api(self.reverse), methods=["POST"]),
            Route("/connect/onboard/{token}", self.onboard, methods=["GET", "POST"]),
            Route("/_standin/transfers", self.standin_transfers, methods=["GET"]),
            Route("/_standin/faults", self.standin_faults, methods=["POST"]),
            Route("/_standin/reset", self.standin_reset, methods=["POST"]),
        ]

    def _api(
        self, handler: Handler, *, pause: bool = False
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            if not request.headers.get("authorization", "").startswith("Bearer sk_"):
                raise StripeError("Invalid API Key provided", status=401)
            if request.method == "GET":
                return JSONResponse(
                    handler(request, parse_form(request.query_params.multi_items()))
                )
            body = (await request.body()).decode()
            params = parse_form(parse_qsl(body, keep_blank_values=True))
            key = request.headers.get("idempotency-key")
            fingerprint = json.dumps([request.url.path, params], sort_keys=True)
            # No await from here to the save: a concurrent retry sees the saved answer.
            if key is not None and (saved := self.store.saved.get(key)) is not None:
                if saved.fingerprint != fingerprint:
                    raise StripeError(
                        "Keys for idempotent requests can only be used with the same "
                        f"parameters they were first used with. Key: {key}",
                        kind="idempotency_error",
                    )
                saved.replays += 1
                return JSONResponse(saved.body, headers={"Idempotent-Replayed": "true"})
            answer = handler(request, params)
            # Only answers are saved, as Stripe saves nothing for a request it refused
            # before acting: a retry after onboarding can succeed with the same key.
            if key is not None:
                self.store.saved[key] = _Saved(fingerprint, answer)
            if pause and self.store.transfer_delay_s > 0:  # the fault hook
                await asyncio.sleep(self.store.transfer_delay_s)
            return JSONResponse(answer)

        return endpoint

    def _account(self, account_id: str) -> Json:
        return _find(self.store.accounts, "account", account_id)

    def create_account(self, _: Request, params: Json) -> Json:
        account_id = f"acct_{secrets.token_hex(8)}"
        self.store.accounts[account_id] = {
            "id": account_id, "object": "account", "type": params.get("type", "express"),
            "email": params.get("email"), "country": params.get("country", "US"),
            "metadata": _metadata(params), "details_submitted": False,
            "payouts_enabled": False, "charges_enabled": False,
            "capabilities": {"transfers": "inactive"}, "created": int(time.time()),
        }  # fmt: skip
        return self.store.accounts[account_id]

    def get_account(self, request: Request, _: Json) -> Json:
        return self._account(request.path_params["id"])

    def create_link(self, request: Request, params: Json) -> Json:
        account = self._account(_required(params, "account"))
        if _required(params, "type") != "account_onboarding":
            raise StripeError("Only account_onboarding links are supported here", param="type")
        token, now = secrets.token_urlsafe(16), int(time.time())
        self.store.links[token] = _Link(
            account["id"], _required(params, "refresh_url"), _required(params, "return_url"),
            now + LINK_TTL_S,
        )  # fmt: skip
        url = f"{str(request.base_url).rstrip('/')}/connect/onboard/{token}"
        return {
            "object": "account_link",
            "url": url,
            "created": now,
            "expires_at": now + LINK_TTL_S,
        }

    async def onboard(self, request: Request) -> Response:
        link = self.store.links.get(request.path_params["token"])
        if link is None or link.expires_at < time.time():
            return HTMLResponse("<h1>This onboarding link has expired or is unknown.</h1>", 404)
        if request.method == "GET":
            page = ONBOARDING_PAGE.substitute(
                account=html.escape(link.account), refresh_url=html.escape(link.refresh_url)
            )
            return HTMLResponse(page)
        account = self.store.accounts[link.account]
        account.update(details_submitted=True, payouts_enabled=True, charges_enabled=True)
        account["capabilities"]["transfers"] = "active"
        return RedirectResponse(link.return_url, status_code=303)

    def create_transfer(self, _: Request, params: Json) -> Json:
        amount, currency = _amount(params.get("amount")), _required(params, "currency")
        destination = self.store.accounts.get(_required(params, "destination"))
        if destination is None or destination["capabilities"]["transfers"] != "active":
            raise StripeError(
                "Your destination account needs to have at least one of the following "
                "capabilities enabled: transfers, crypto_transfers, legacy_payments",
                param="destination",
            )
        transfer_id = f"tr_{secrets.token_hex(12)}"
        self.store.transfers[transfer_id] = {
            "id": transfer_id, "object": "transfer", "amount": amount,
            "currency": currency.lower(), "destination": destination["id"],
            "transfer_group": params.get("transfer_group"), "metadata": _metadata(params),
            "reversed": False, "amount_reversed": 0, "created": int(time.time()),
        }  # fmt: skip
        return self.store.transfers[transfer_id]

    def get_transfer(self, request: Request, _: Json) -> Json:
        return _find(self.store.transfers, "transfer", request.path_params["id"])

    def list_transfers(self, _: Request, params: Json) -> Json:
        limit = int(params.get("limit", "10"))
        found = [
            transfer
            for transfer in reversed(self.store.transfers.values())  # newest first
            if all(transfer[name] == params[name] for name in ("destination", "transfer_group")
                   if name in params)
        ]  # fmt: skip
        return {"object": "list", "data": found[:limit], "has_more": len(found) > limit,
                "url": "/v1/transfers"}  # fmt: skip

    def reverse(self, request: Request, params: Json) -> Json:
        transfer = _find(self.store.transfers, "transfer", request.path_params["id"])
        remaining = transfer["amount"] - transfer["amount_reversed"]
        amount = _amount(params["amount"]) if "amount" in params else remaining
        if remaining == 0:
            raise StripeError(f"Transfer {transfer['id']} is already fully reversed.")
        if amount > remaining:
            raise StripeError(f"You can only reverse {remaining} more.", param="amount")
        transfer["amount_reversed"] += amount
        transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
        return {
            "id": f"trr_{secrets.token_hex(12)}", "object": "transfer_reversal",
            "amount": amount, "currency": transfer["currency"], "transfer": transfer["id"],
            "metadata": _metadata(params), "created": int(time.time()),
        }  # fmt: skip

    async def standin_transfers(self, _: Request) -> Response:
        saved_by_id = {
            saved.body.get("id"): (key, saved) for key, saved in self.store.saved.items()
        }
        rows = []
        for transfer_id, transfer in self.store.transfers.items():
            key, saved = saved_by_id.get(transfer_id, (None, None))
            replays = saved.replays if saved is not None else 0
            rows.append({"transfer": transfer, "idempotencyKey": key, "replays": replays})
        return JSONResponse({"transfers": rows})

    async def standin_faults(self, request: Request) -> Response:
        faults = await request.json()
        self.store.transfer_delay_s = float(faults.get("transfer_delay_s", 0.0))
        return JSONResponse({"transfer_delay_s": self.store.transfer_delay_s})

    async def standin_reset(self, _: Request) -> Response:
        self.store = ConnectStore()
        return Response(status_code=204)


async def _stripe_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, StripeError)
    return JSONResponse(exc.body, status_code=exc.status)


def create_app() -> Starlette:
    return Starlette(
        routes=ConnectStandIn().routes(), exception_handlers={StripeError: _stripe_error}
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8421)
    args = parser.parse_args()

    import uvicorn

    print(f"Stripe Connect stand-in listening on {args.host}:{args.port}", flush=True)
    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()

"""An HTTP endpoint declared once: its route, its OpenAPI entry, and how to respond."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

type RouteHandler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str
    path: str
    handler: RouteHandler
    summary: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    auth: bool = False
    errors: tuple[int, ...] = ()
    # The route checks the session (sign-out, generation) itself, in a Redis round trip
    # it makes anyway: the hot path of POST /api/orders (``auth.pending_user``).
    route_checks_session: bool = False


def respond(payload: BaseModel | dict[str, Any], status: int = 200) -> JSONResponse:
    """Serialise a response model by alias (camelCase) in JSON mode."""
    content = (
        payload.model_dump(mode="json", by_alias=True)
        if isinstance(payload, BaseModel)
        else payload
    )
    return JSONResponse(content, status_code=status)

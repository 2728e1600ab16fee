"""An HTTP endpoint declared once: its route, its OpenAPI entry, and how to respond."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
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


class JSONBody(JSONResponse):
    """JSON rendered by pydantic (a model, by alias, as ``model_dump_json``) or by orjson
    (plain data: an error body), not by ``json.dumps``: compact UTF-8 either way."""

    def render(self, content: Any) -> bytes:
        if isinstance(content, BaseModel):
            return content.__pydantic_serializer__.to_json(content, by_alias=True)
        return orjson.dumps(content)


def respond(payload: BaseModel | dict[str, Any], status: int = 200) -> JSONResponse:
    """Serialise a response model by alias (camelCase) in JSON mode."""
    return JSONBody(payload, status_code=status)

"""Typed errors, rendered once in the common structure ``{"errors": [{"message", "field"}]}``."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import structlog
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from backend.common.endpoint import JSONBody

log = structlog.get_logger(__name__)


class ErrorItem(BaseModel):
    message: str
    field: str | None = None


class AppError(Exception):
    status_code = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.items = [ErrorItem(message=message, field=field)]
        self.headers: dict[str, str] = {}


class BadRequest(AppError):
    status_code = 400


class NotAuthorized(AppError):
    status_code = 401

    def __init__(self, message: str = "Not signed in", field: str | None = None) -> None:
        super().__init__(message, field)


class PaymentFailed(AppError):
    status_code = 402


class Forbidden(AppError):
    status_code = 403

    def __init__(self, message: str = "Not allowed", field: str | None = None) -> None:
        super().__init__(message, field)


class NotFound(AppError):
    status_code = 404

    def __init__(self, message: str = "Not found", field: str | None = None) -> None:
        super().__init__(message, field)


class Conflict(AppError):
    status_code = 409


class PayloadTooLarge(AppError):
    status_code = 413


class UnsupportedMediaType(AppError):
    status_code = 415


class TooManyRequests(AppError):
    status_code = 429

    def __init__(self, message: str, retry_after_seconds: int, field: str | None = None) -> None:
        super().__init__(message, field)
        self.headers["Retry-After"] = str(max(1, retry_after_seconds))


class InvalidInput(AppError):
    """Several field errors at once (request validation)."""

    status_code = 400

    def __init__(self, items: Sequence[ErrorItem]) -> None:
        super().__init__(items[0].message if items else "Invalid input")
        self.items = list(items)

    @classmethod
    def from_validation_error(cls, exc: ValidationError) -> InvalidInput:
        items = []
        for err in exc.errors(include_url=False):
            field = ".".join(str(part) for part in err["loc"]) or None
            message = err["msg"].removeprefix("Value error, ")
            if err["type"] == "missing":
                message = "Field required"
            elif err["type"] == "extra_forbidden":
                message = "Unknown field"
            items.append(ErrorItem(message=message, field=field))
        return cls(items)


def error_body(items: Sequence[ErrorItem]) -> dict[str, Any]:
    return {"errors": [item.model_dump() for item in items]}


def error_response(
    status_code: int, items: Sequence[ErrorItem], headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONBody(error_body(items), status_code=status_code, headers=headers)


async def on_app_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    return error_response(exc.status_code, exc.items, exc.headers)


_HTTP_MESSAGES = {
    404: "Not found",
    405: "Method not allowed",
}


async def on_http_exception(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = _HTTP_MESSAGES.get(exc.status_code) or str(exc.detail)
    return error_response(exc.status_code, [ErrorItem(message=message)], exc.headers)


async def on_unexpected(request: Request, exc: Exception) -> Response:
    request_id = request.scope.get("request_id", "-")
    log.error("unhandled error", request_id=request_id, path=request.url.path, exc_info=exc)
    return error_response(
        500,
        [ErrorItem(message=f"Something went wrong on our side (request {request_id})")],
        {"X-Request-ID": str(request_id)},
    )


EXCEPTION_HANDLERS = {
    AppError: on_app_error,
    HTTPException: on_http_exception,
    Exception: on_unexpected,
}


def _is_json(content_type: str) -> bool:
    media_type = content_type.partition(";")[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def _unencodable_text(data: Any) -> str | None:
    """The dotted path of the first string that is not valid Unicode (a lone surrogate,
    which JSON's ``\\ud800`` escapes can carry), "" for the body itself, None if none."""
    pending: list[tuple[str, Any]] = [("", data)]  # iterative: nesting depth is the client's
    while pending:
        path, value = pending.pop()
        if isinstance(value, str):
            try:
                value.encode()
            except UnicodeEncodeError:
                return path
        elif isinstance(value, dict):
            for key, item in value.items():
                try:
                    key.encode()
                except UnicodeEncodeError:
                    return path
                pending.append((f"{path}.{key}" if path else key, item))
        elif isinstance(value, list):
            pending.extend((f"{path}.{index}" if path else str(index), item)
                           for index, item in enumerate(value))  # fmt: skip
    return None


async def _json_body(request: Request) -> bytes:
    """The raw body of a JSON request; its size is bounded by ``BodyLimitMiddleware``."""
    if not _is_json(request.headers.get("content-type", "")):
        # Only JSON is read: a form or text/plain body (which a browser can send from
        # another site without asking) is refused whatever it contains.
        raise UnsupportedMediaType("Content-Type must be application/json")
    raw = await request.body()
    if not raw.strip():
        raise BadRequest("Request body must be a JSON object")
    return raw


def _loads(raw: bytes) -> Any:
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise BadRequest("Request body is not valid JSON") from None
    bad = _unencodable_text(data)
    if bad is not None:
        # It could be neither stored nor answered back (UTF-8 everywhere).
        raise BadRequest("Text must be valid Unicode (no lone surrogates)", field=bad or None)
    return data


def parse_query[M: BaseModel](request: Request, model: type[M]) -> M:
    """Validate query parameters into ``model`` (400 with one item per bad parameter)."""
    params = request.query_params
    data = {key: params.getlist(key) if len(params.getlist(key)) > 1 else params[key]
            for key in params}  # fmt: skip
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput.from_validation_error(exc) from None


async def parse_body[M: BaseModel](request: Request, model: type[M]) -> M:
    """Parse and validate a JSON object body into ``model`` (400 with one item per bad field).

    A body the model takes as it comes is parsed and validated by pydantic in one pass
    (``model_validate_json``: its parser refuses lone surrogates, as ``_loads`` does);
    any other is read again step by step, for the error a client is told. For an order's
    body the one pass takes 1.5 µs, the steps 4.0 µs (timeit)."""
    raw = await _json_body(request)
    try:
        return model.model_validate_json(raw)
    except (ValidationError, RecursionError):
        pass  # told below, precisely
    data = _loads(raw)
    if not isinstance(data, dict):
        raise BadRequest("Request body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput.from_validation_error(exc) from None
    except RecursionError:
        raise BadRequest("Request body is nested too deeply") from None

"""Reading a body and writing an answer: ``parse_body`` takes a good body in one pass
(pydantic's parser) and tells every other one's fault as the step-by-step reading does;
``JSONBody`` writes what ``json.dumps`` wrote, compact, by alias."""

from __future__ import annotations

import json
from typing import Annotated

import pytest
from pydantic import Field, StrictInt
from starlette.requests import Request

from backend.common.endpoint import JSONBody, respond
from backend.common.errors import AppError, ErrorItem, error_response, parse_body
from backend.common.schemas import RequestModel
from wire.base import CamelModel

pytestmark = pytest.mark.unit

UNICODE = "Text must be valid Unicode (no lone surrogates)"


class Wanted(RequestModel):
    ticket_id: Annotated[str, Field(min_length=1, max_length=64)]
    quantity: Annotated[StrictInt, Field(ge=1, le=10)] = 1
    note: str | None = None


def request_with(body: bytes, content_type: str = "application/json") -> Request:
    delivered = False

    async def receive() -> dict[str, object]:
        nonlocal delivered
        assert not delivered
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/x",
        "headers": [(b"content-type", content_type.encode())],
    }
    return Request(scope, receive)


async def refusal_of(
    body: bytes, content_type: str = "application/json"
) -> tuple[int, list[ErrorItem]]:
    with pytest.raises(AppError) as refused:
        await parse_body(request_with(body, content_type), Wanted)
    return refused.value.status_code, refused.value.items


async def test_a_good_body_is_read_as_the_model_trimmed_and_by_its_camel_names() -> None:
    wanted = await parse_body(request_with(b'{"ticketId":"  t1 ","quantity":2}'), Wanted)
    assert (wanted.ticket_id, wanted.quantity, wanted.note) == ("t1", 2, None)
    assert wanted.model_fields_set == {"ticket_id", "quantity"}


async def test_a_key_given_twice_counts_once_as_its_last() -> None:
    wanted = await parse_body(request_with(b'{"ticketId":"a","ticketId":"b"}'), Wanted)
    assert wanted.ticket_id == "b"


@pytest.mark.parametrize(
    ("body", "status", "message", "field"),
    [
        (b"", 400, "Request body must be a JSON object", None),
        (b"{", 400, "Request body is not valid JSON", None),
        (b"[1]", 400, "Request body must be a JSON object", None),
        (b'"t1"', 400, "Request body must be a JSON object", None),
        (b'{"ticketId":"\\ud800"}', 400, UNICODE, "ticketId"),
        (b'{"ticketId":"t","note":"ok \\udfff"}', 400, UNICODE, "note"),
        (b'{"ticketId":""}', 400, "String should have at least 1 character", "ticketId"),
        (b'{"ticketId":"t","quantity":1.0}', 400, "Input should be a valid integer", "quantity"),
        (b'{"ticketId":"t","quantity":NaN}', 400, "Input should be a valid integer", "quantity"),
        (b'{"ticket_id":"t"}', 400, "Field required", "ticketId"),
        (b"[" * 100_000 + b"]" * 100_000, 400, "Request body is not valid JSON", None),
    ],
)
async def test_a_bad_body_is_told_its_fault(
    body: bytes, status: int, message: str, field: str | None
) -> None:
    told_status, items = await refusal_of(body)
    assert told_status == status
    assert (items[0].message, items[0].field) == (message, field)


async def test_a_body_that_is_not_json_is_refused_whatever_it_holds() -> None:
    status, items = await refusal_of(b'{"ticketId":"t1"}', "text/plain")
    assert status == 415
    assert items[0].message == "Content-Type must be application/json"


class Shown(CamelModel):
    ticket_id: str
    price_cents: int
    title: str


def test_a_model_is_written_by_alias_as_json_dumps_wrote_it() -> None:
    shown = Shown(ticket_id="t1", price_cents=1250, title="Konzert, Reihe 3 \u00e9 🎟")
    expected = json.dumps(
        shown.model_dump(mode="json", by_alias=True), ensure_ascii=False, separators=(",", ":")
    ).encode()
    response = respond(shown, 201)
    assert isinstance(response, JSONBody)
    assert (response.status_code, response.body) == (201, expected)
    assert response.headers["content-type"] == "application/json"


def test_an_error_is_written_as_json_dumps_wrote_it_with_its_headers() -> None:
    items = [ErrorItem(message="The ticket is locked by another buyer", field="ticketId")]
    response = error_response(409, items, {"RateLimit-Remaining": "3"})
    expected = {"errors": [{"message": items[0].message, "field": "ticketId"}]}
    assert response.body == json.dumps(expected, separators=(",", ":")).encode()
    assert (response.status_code, response.headers["ratelimit-remaining"]) == (409, "3")

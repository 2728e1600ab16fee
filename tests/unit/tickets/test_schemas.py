"""Request bodies of the tickets API."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from backend.tickets.schemas import TicketQuery, UpdateTicketRequest

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("body", "field"),
    [({"title": None}, "title"), ({"price": None}, "price"),
     ({"title": "x", "price": None}, "price")],
)  # fmt: skip
def test_edit_refuses_null_for_a_field_every_ticket_has(body: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        UpdateTicketRequest.model_validate(body)
    assert [error["loc"] for error in caught.value.errors()] == [(field,)]


def test_edit_takes_null_as_clearing_an_optional_field() -> None:
    request = UpdateTicketRequest.model_validate({"section": None})
    assert request.model_fields_set == {"section"} and request.section is None


@pytest.mark.parametrize("field", ["minPrice", "maxPrice"])
def test_query_refuses_a_price_no_ticket_can_have(field: str) -> None:
    # Beyond 64 bits it would reach MongoDB and fail there (a 500).
    for value in ("10000001", "99999999999999999999999"):
        with pytest.raises(ValidationError):
            TicketQuery.model_validate({field: value})

"""The OpenAPI documents the services publish."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from backend.auth.app import ENDPOINTS as AUTH
from backend.common.endpoint import Endpoint
from backend.common.openapi import openapi_document
from backend.orders.app import ENDPOINTS as ORDERS
from backend.payments.app import ENDPOINTS as PAYMENTS
from backend.tickets.app import ENDPOINTS as TICKETS

pytestmark = pytest.mark.unit

SERVICES: dict[str, list[Endpoint]] = {
    "auth": AUTH, "tickets": TICKETS, "orders": ORDERS, "payments": PAYMENTS,
}  # fmt: skip
# pydantic's own names for bounds: JSON Schema ignores them, so they would go unchecked.
NOT_JSON_SCHEMA = {"ge", "le", "gt", "lt", "min_length", "max_length"}


def keys_of(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            if key != "properties":  # property names are the API's, not keywords
                yield from keys_of(value)
            else:
                for prop in value.values():
                    yield from keys_of(prop)
    elif isinstance(node, list):
        for item in node:
            yield from keys_of(item)


@pytest.mark.parametrize("service", SERVICES)
def test_document_uses_json_schema_keywords_for_bounds(service: str) -> None:
    document = openapi_document(service, SERVICES[service])
    assert not NOT_JSON_SCHEMA & set(keys_of(document))


@pytest.mark.parametrize("service", SERVICES)
def test_every_body_endpoint_documents_415_for_a_body_that_is_not_json(service: str) -> None:
    document = openapi_document(service, SERVICES[service])
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            if "requestBody" in operation:
                assert "415" in operation["responses"], (method, path)

"""The common error structure, checked strictly: ``{"errors": [{"message", "field"}]}``."""

from __future__ import annotations

from typing import Any

import httpx


def error_structure_problem(body: object) -> str | None:
    """What is wrong with ``body`` as a common error body (None: nothing)."""
    if not isinstance(body, dict) or set(body) != {"errors"}:
        return f"not {{'errors': [...]}}: {body!r}"
    items = body["errors"]
    if not isinstance(items, list) or not items:
        return f"'errors' is not a non-empty list: {body!r}"
    for item in items:
        if not isinstance(item, dict) or set(item) != {"message", "field"}:
            return f"an item is not {{'message', 'field'}}: {item!r}"
        if not isinstance(item["message"], str) or not item["message"]:
            return f"an item has no message: {item!r}"
        if item["field"] is not None and not isinstance(item["field"], str):
            return f"an item's field is neither a string nor null: {item!r}"
    return None


def response_problem(response: httpx.Response, statuses: set[int]) -> str | None:
    """What is wrong with an error ``response`` expected to have one of ``statuses``."""
    if response.status_code not in statuses:
        return f"status {response.status_code}, expected {sorted(statuses)}: {response.text[:300]}"
    if not response.headers.get("content-type", "").startswith("application/json"):
        return f"content-type {response.headers.get('content-type')!r}"
    try:
        body: Any = response.json()
    except ValueError:
        return f"body is not JSON: {response.text[:300]!r}"
    return error_structure_problem(body)


def error_items(response: httpx.Response, *statuses: int) -> list[dict[str, Any]]:
    """The error items of ``response``, after checking its status and structure."""
    problem = response_problem(response, set(statuses))
    assert problem is None, problem
    items: list[dict[str, Any]] = response.json()["errors"]
    return items


def refusal_problem(response: httpx.Response, statuses: set[int], field: str) -> str | None:
    """What is wrong with ``response`` as a refusal naming exactly ``field``."""
    problem = response_problem(response, statuses)
    if problem is None:
        fields = [item["field"] for item in response.json()["errors"]]
        if fields != [field]:
            problem = f"refused on {fields}, not {field}"
    return problem

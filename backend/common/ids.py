"""The one parser of MongoDB ids that arrive as text (paths, bodies, events)."""

from __future__ import annotations

from beanie import PydanticObjectId
from bson.errors import InvalidId

from backend.common.errors import NotFound


def object_id_or_none(value: str) -> PydanticObjectId | None:
    try:
        return PydanticObjectId(value)
    except (InvalidId, TypeError):
        return None


def object_id(value: str, what: str, *, field: str | None = None) -> PydanticObjectId:
    """The id, or 404 "<what> not found" (a malformed id names nothing that exists)."""
    oid = object_id_or_none(value)
    if oid is None:
        raise NotFound(f"{what} not found", field=field)
    return oid

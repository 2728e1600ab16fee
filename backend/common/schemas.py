"""Base pydantic model: snake_case in Python, camelCase on the wire."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class CamelModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )


class RequestModel(CamelModel):
    """A request body: camelCase only, and unknown fields are refused so typos do not pass
    silently (``display_name`` is as unknown as ``dispaly_name``)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, validate_by_name=False)

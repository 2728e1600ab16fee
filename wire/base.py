"""Models are snake_case in Python and camelCase on the wire."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict
from pydantic.alias_generators import to_camel


class CamelModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )


# An id as text, whatever the store keeps it as (a MongoDB ObjectId, a string).
IdText = Annotated[str, BeforeValidator(str)]


def epoch_ms(moment: datetime | None) -> int | None:
    """A deadline as epoch milliseconds, for countdowns (None when there is none)."""
    return None if moment is None else int(moment.timestamp() * 1000)
